"""Make a listening TCP port of this process behave as if bound to one address, open to a list of hosts only.

TensorFlow's gRPC server always listens on every interface (its ServerDef has a port, no address). A classic
BPF socket filter (SO_ATTACH_FILTER, Linux; no privileges needed) on that listening socket drops every packet
whose destination is not the address given for the server or whose source is not one of the cluster's hosts,
before the kernel answers it: to anyone else the port looks like a host that does not answer.
"""

import ctypes
import errno
import ipaddress
import os
import socket
import struct
import sys

SUPPORTED = sys.platform.startswith("linux")

_SO_ATTACH_FILTER = getattr(socket, "SO_ATTACH_FILTER", 26)
_NETWORK_HEADER = -0x100000  # SKF_NET_OFF: loads relative to the IP header (the data of a TCP socket starts at the TCP header)
_LOAD_BYTE, _LOAD_WORD, _SHIFT_RIGHT, _JUMP_IF_EQUAL, _JUMP, _RETURN = 0x30, 0x20, 0x74, 0x15, 0x05, 0x06
_DROP, _KEEP = 0, 0xFFFFFFFF
_TCP_LISTEN, _TCP_TIME_WAIT = "0A", "06"  # the state column of /proc/net/tcp
_MAX_INSTRUCTIONS = 4096  # BPF_MAXINSNS


class ListenFilterError(Exception):
    """The port cannot be restricted as asked; the message says why."""


def resolve(host) -> list:
    """Every IP address (ipaddress objects) that `host` names here."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError as err:
        raise ListenFilterError("cannot resolve host '%s': %s" % (host, err.strerror or err))
    return _in_order({_plain(ipaddress.ip_address(info[4][0].split("%")[0])) for info in infos})


def _in_order(addresses) -> list:
    return sorted(addresses, key=lambda ip: (ip.version, ip.packed))


def _plain(ip):
    """An IPv4-mapped IPv6 address as the IPv4 address it carries: such packets have IPv4 headers."""
    return ip.ipv4_mapped if ip.version == 6 and ip.ipv4_mapped is not None else ip


class Restriction:
    """What a port of this process shall answer: own_host's addresses as destination, the peers' (and own) as source.

    Made before the server exists (names resolved, addresses checked, filter built), so that only apply() -- finding
    the listening socket and attaching the filter, milliseconds -- remains between the server's listen and its start.
    """

    def __init__(self, own_host, peer_hosts):
        self.own = resolve(own_host)
        for ip in self.own:
            _check_own(ip, own_host)
        self.peers = _in_order({ip for host in peer_hosts for ip in resolve(host)} | set(self.own))
        if all(ip.is_loopback for ip in self.own) and any(not ip.is_loopback for ip in self.peers):
            here = "" if [str(ip) for ip in self.own] == [own_host] else " (%s on this machine)" % ", ".join(map(str, self.own))
            raise ListenFilterError("'%s'%s is a loopback address, which the other hosts cannot reach; name this machine by an "
                                    "address they use" % (own_host, here))
        self.program = _program(self.own, self.peers)

    def apply(self, port):
        """Attach the filter to this process's listening sockets on `port`; refuse if anyone else connected before it."""
        listeners = _fds_of({inode for state, inode, _, _ in _tcp_sockets(port) if state == _TCP_LISTEN})
        if not listeners:
            raise ListenFilterError("no listening socket of this process on port %d" % port)
        for fd in listeners:
            _attach(fd, self.program)
        # TIME_WAIT sockets may predate this process (an earlier server on this port closed them); a connection to a
        # server that serves nothing yet never ends in TIME_WAIT on its side.
        strangers = sorted({str(remote) for state, _, local, remote in _tcp_sockets(port)
                            if state not in (_TCP_LISTEN, _TCP_TIME_WAIT) and (local not in self.own or remote not in self.peers)})
        if strangers:  # connected between the server's listen and the filter
            raise ListenFilterError("%s connected to port %d before it was restricted" % (", ".join(strangers), port))


def _check_own(ip, host):
    """An address this machine can be reached at, as a server that binds one address would need."""
    named = "'%s'" % host if host == str(ip) else "'%s' (%s)" % (host, ip)
    if ip.is_unspecified or ip.is_multicast:
        raise ListenFilterError("%s is not the address of one machine; give this machine's address" % named)
    if ip.version == 6 and ip.is_link_local:
        raise ListenFilterError("%s is an IPv6 link-local address, which needs an interface; give a global or loopback address" % named)
    with socket.socket(socket.AF_INET6 if ip.version == 6 else socket.AF_INET) as probe:
        try:
            probe.bind((str(ip), 0))
        except OSError as err:
            raise ListenFilterError("%s is not an address of this machine: %s" % (named, err.strerror or err))


def _tcp_sockets(port):
    """(state, inode, local address, remote address) of this network namespace's TCP sockets on local `port`."""
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                rows = f.read().splitlines()[1:]
        except FileNotFoundError:  # tcp6: IPv6 disabled
            continue
        for row in rows:
            fields = row.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if int(local.rsplit(":", 1)[1], 16) == port:
                yield state, inode, _proc_address(local.rsplit(":", 1)[0]), _proc_address(remote.rsplit(":", 1)[0])


def _proc_address(text):
    """An address as /proc/net/tcp* writes it: 32-bit words in hex, each in the machine's byte order."""
    raw = bytes.fromhex(text)
    words = [raw[i:i + 4] for i in range(0, len(raw), 4)]
    return _plain(ipaddress.ip_address(b"".join(int.from_bytes(w, sys.byteorder).to_bytes(4, "big") for w in words)))


def _fds_of(inodes) -> list:
    wanted = {"socket:[%s]" % inode for inode in inodes}
    fds = []
    for name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink("/proc/self/fd/" + name) in wanted:
                fds.append(int(name))
        except OSError:  # closed meanwhile (the directory listing's own descriptor, for one)
            pass
    return fds


def _attach(fd, program):
    code = ctypes.create_string_buffer(program, len(program))
    sock_fprog = struct.pack("HP", len(program) // 8, ctypes.addressof(code))
    with socket.socket(fileno=os.dup(fd)) as sock:
        try:
            sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, sock_fprog)
        except OSError as err:
            if err.errno != errno.ENOMEM:
                raise
            raise ListenFilterError("the kernel refused a socket filter of %d instructions (net.core.optmem_max bounds it): "
                                    "list fewer hosts, or raise that limit" % (len(program) // 8))


class _Assembler:
    """Classic BPF with named jump targets."""

    def __init__(self):
        self.code, self.labels = [], {}

    def op(self, code, k=0, jt=0, jf=0):
        self.code.append((code, jt, jf, k))

    def label(self, name):
        self.labels[name] = len(self.code)

    def bytes(self) -> bytes:
        out = []
        if len(self.code) > _MAX_INSTRUCTIONS:
            raise ListenFilterError("too many addresses in the cluster for a socket filter (%d instructions, at most %d)"
                                    % (len(self.code), _MAX_INSTRUCTIONS))
        for pc, (code, jt, jf, k) in enumerate(self.code):
            jt, jf = self._offset(jt, pc), self._offset(jf, pc)
            k = self._offset(k, pc) if code == _JUMP else k
            assert 0 <= jt < 256 and 0 <= jf < 256 and (code != _JUMP or k >= 0), "BPF jumps go forward; conditions skip at most 255"
            out.append(struct.pack("HBBI", code, jt, jf, k & 0xFFFFFFFF))
        return b"".join(out)

    def _offset(self, target, pc):
        """A jump from instruction pc to target (a label, or already an offset) counts the instructions skipped."""
        return target if isinstance(target, int) else self.labels[target] - pc - 1

    def unless_equal_go_to(self, value, target):
        """A conditional jump of any length: the condition skips one unconditional jump."""
        self.op(_JUMP_IF_EQUAL, k=value, jt=1)
        self.op(_JUMP, k=target)

    def jump_if_any(self, addresses, header_offset, target):
        """Go to target when the address at header_offset of the IP header is one of addresses; else fall through."""
        for address in addresses:
            miss = "miss%d" % len(self.code)
            for i in range(0, len(address.packed), 4):
                self.op(_LOAD_WORD, k=_NETWORK_HEADER + header_offset + i)
                self.op(_JUMP_IF_EQUAL, k=int.from_bytes(address.packed[i:i + 4], "big"), jf=miss)
            self.op(_JUMP, k=target)
            self.label(miss)


def _program(own, peers) -> bytes:
    """Keep a packet only if its destination is in own and its source in peers (IPv4 and IPv6 headers)."""
    asm = _Assembler()
    asm.op(_LOAD_BYTE, k=_NETWORK_HEADER)
    asm.op(_SHIFT_RIGHT, k=4)                       # the IP version
    asm.unless_equal_go_to(4, "not4")
    asm.jump_if_any([ip for ip in own if ip.version == 4], 16, "source4")
    asm.op(_RETURN, k=_DROP)
    asm.label("source4")
    asm.jump_if_any([ip for ip in peers if ip.version == 4], 12, "keep")
    asm.op(_RETURN, k=_DROP)
    asm.label("not4")
    asm.unless_equal_go_to(6, "drop")
    asm.jump_if_any([ip for ip in own if ip.version == 6], 24, "source6")
    asm.op(_RETURN, k=_DROP)
    asm.label("source6")
    asm.jump_if_any([ip for ip in peers if ip.version == 6], 8, "keep")
    asm.label("drop")
    asm.op(_RETURN, k=_DROP)
    asm.label("keep")
    asm.op(_RETURN, k=_KEEP)
    return asm.bytes()
