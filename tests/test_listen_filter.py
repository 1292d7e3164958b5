"""The port filter that makes TensorFlow's all-interfaces server answer one address and the cluster's hosts only."""

import errno
import socket
import sys

import pytest

from dnnlib.tflib import listen_filter
from test_distributed import connects

pytestmark = pytest.mark.skipif(not listen_filter.SUPPORTED, reason="socket filters are Linux's")


def restrict(port, own_host, peer_hosts):
    listen_filter.Restriction(own_host, peer_hosts).apply(port)


@pytest.fixture
def listener():
    """A socket listening on every interface, as TensorFlow's server does: (socket, port)."""
    sock = socket.socket()
    sock.bind(("0.0.0.0", 0))
    sock.listen(8)
    yield sock, sock.getsockname()[1]
    sock.close()


def test_only_the_given_address_and_the_listed_hosts_get_through(listener):
    sock, port = listener
    restrict(port, "127.0.0.1", ["127.0.0.4"])
    assert connects("127.0.0.1:%d" % port)
    assert connects("127.0.0.1:%d" % port, source="127.0.0.4")
    assert not connects("127.0.0.2:%d" % port)
    assert not connects("127.0.0.1:%d" % port, source="127.0.0.3")
    sock.settimeout(1.0)
    sock.accept()[0].close()  # what got through is served as before


def test_ipv6_packets_are_dropped_when_no_ipv6_address_is_given():
    if not socket.has_ipv6:
        pytest.skip("no IPv6 here")
    with socket.socket(socket.AF_INET6) as sock:
        sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        try:
            sock.bind(("::", 0))
        except OSError:
            pytest.skip("no IPv6 here")
        sock.listen(8)
        port = sock.getsockname()[1]
        with socket.socket(socket.AF_INET6) as other:  # probed on another listener: a connection before the filter is refused
            other.bind(("::1", 0))
            other.listen(1)
            if not connects_ipv6_loopback(other.getsockname()[1]):
                pytest.skip("no IPv6 loopback here")
        restrict(port, "127.0.0.1", [])
        assert connects("127.0.0.1:%d" % port)  # IPv4 through a dual-stack socket keeps its IPv4 header
        assert not connects_ipv6_loopback(port)


def connects_ipv6_loopback(port) -> bool:
    with socket.socket(socket.AF_INET6) as conn:
        conn.settimeout(1.0)
        try:
            conn.connect(("::1", port))
            return True
        except OSError:
            return False


def loopback_hosts(count):
    return ["127.1.%d.%d" % (i // 200, i % 200 + 1) for i in range(count)]


def test_large_clusters(listener, monkeypatch):
    sock, port = listener
    # 120 hosts: jumps longer than a condition's 255 instructions, within the kernel's 20 KiB filter memory of older defaults
    restrict(port, "127.0.0.1", loopback_hosts(120) + ["127.0.0.4"])
    assert connects("127.0.0.1:%d" % port, source="127.0.0.4")
    assert connects("127.0.0.1:%d" % port, source="127.1.0.100")
    assert not connects("127.0.0.1:%d" % port, source="127.1.0.201")
    with pytest.raises(listen_filter.ListenFilterError, match="too many addresses in the cluster for a socket filter"):
        listen_filter.Restriction("127.0.0.1", loopback_hosts(1500))

    def refused(*args):
        raise OSError(errno.ENOMEM, "Cannot allocate memory")
    monkeypatch.setattr(socket.socket, "setsockopt", refused)  # as a kernel with a smaller net.core.optmem_max answers
    with pytest.raises(listen_filter.ListenFilterError, match=r"kernel refused a socket filter of \d+ instructions \(net.core.optmem_max"):
        restrict(port, "127.0.0.1", [])


@pytest.mark.parametrize("own_host, peers, message", [
    ("203.0.113.7", [], "'203.0.113.7' is not an address of this machine"),
    ("0.0.0.0", [], "'0.0.0.0' is not the address of one machine"),
    ("224.0.0.1", [], "'224.0.0.1' is not the address of one machine"),
    ("fe80::1", [], "'fe80::1' is an IPv6 link-local address"),
    ("127.0.0.1", ["203.0.113.7"], "'127.0.0.1' is a loopback address, which the other hosts cannot reach"),
    ("nonexistent-host.invalid", [], "cannot resolve host 'nonexistent-host.invalid'"),
    ("127.0.0.1", ["nonexistent-host.invalid"], "cannot resolve host 'nonexistent-host.invalid'"),
])
def test_refused_settings_fail_closed(listener, own_host, peers, message):
    _, port = listener
    with pytest.raises(listen_filter.ListenFilterError, match=message):
        restrict(port, own_host, peers)
    assert connects("127.0.0.2:%d" % port)  # nothing half-applied; the caller stops the server


def test_no_listener_of_ours_on_the_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, not listening
        with pytest.raises(listen_filter.ListenFilterError, match="no listening socket of this process"):
            restrict(sock.getsockname()[1], "127.0.0.1", [])


@pytest.mark.parametrize("source, destination", [("127.0.0.3", "127.0.0.1"), ("127.0.0.1", "127.0.0.2")])
def test_a_stranger_connected_before_the_filter_is_refused(listener, source, destination):
    _, port = listener
    with socket.socket() as early:
        early.bind((source, 0))
        early.connect((destination, port))  # a host not listed, or an address not given
        with pytest.raises(listen_filter.ListenFilterError, match="%s connected to port %d before" % (source, port)):
            restrict(port, "127.0.0.1", [])


def test_proc_addresses_decode_in_this_machines_byte_order():
    if sys.byteorder != "little":
        pytest.skip("the sample is a little-endian machine's")
    assert str(listen_filter._proc_address("0100007F")) == "127.0.0.1"
    assert str(listen_filter._proc_address("0000000000000000FFFF00000100007F")) == "127.0.0.1"  # IPv4-mapped
    assert str(listen_filter._proc_address("00000000000000000000000001000000")) == "::1"


def test_time_wait_of_an_earlier_server_on_the_port_does_not_count():
    with socket.socket() as earlier:
        earlier.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        earlier.bind(("0.0.0.0", 0))
        earlier.listen(1)
        port = earlier.getsockname()[1]
        with socket.socket() as stranger:
            stranger.bind(("127.0.0.3", 0))
            stranger.connect(("127.0.0.1", port))
            earlier.accept()[0].close()  # the server side closes first: its socket stays in TIME_WAIT
            stranger.recv(1)
    with socket.socket() as restarted:
        restarted.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        restarted.bind(("0.0.0.0", port))
        restarted.listen(1)
        assert any(state == "06" for state, _, _, _ in listen_filter._tcp_sockets(port))
        restrict(port, "127.0.0.1", [])
