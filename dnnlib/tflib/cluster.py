"""Several machines through TensorFlow's own distributed runtime: in-graph replication, no networking of ours.

A worker is a TensorFlow gRPC server and nothing else (serve_worker): no dataset option, no results, no
state that outlives a training session. The chief -- the process that runs the training loop -- starts a
server of its own (Cluster) and opens its session there with a ClusterDef that names it job 'chief' and
the workers job 'worker' (TensorFlow's cluster-spec propagation), so a worker needs to know only its own
port. One graph then pins variables, optimizer state and snapshots to /job:chief/task:0 and the towers
to /job:worker/task:N/device:GPU:K (or CPU:0).

TensorFlow's gRPC server listens on every interface of its machine (ServerDef has a port but no address)
and has no authentication. On Linux each server here is restricted, before it answers anything, to the address
the cluster names for it and to connections from the cluster's hosts (start_server, listen_filter); elsewhere
the README's firewall advice holds.
"""

import concurrent.futures
import os
import re
import socket
import threading
import time

import tensorflow.compat.v1 as tf
from tensorflow.core.protobuf import tensorflow_server_pb2

from .. import tf_startup, util
from . import listen_filter

CHIEF_JOB, WORKER_JOB = "chief", "worker"
CHIEF_DEVICE = "/job:chief/task:0"
WORKER_ERRORS = (tf.errors.UnavailableError, tf.errors.DeadlineExceededError, tf.errors.AbortedError)
"""What a session run raises when a worker died, hangs or lost its session state (it restarted)."""

_BOOT_JOB = "trainer"  # the chief server's own name: TensorFlow refuses a session ClusterDef that repeats a server's boot name


class ClusterError(util.UserError):
    """A cluster that cannot be used, or a worker lost during training; the message names the worker."""


def _reason(err) -> str:
    """The useful first line of an OSError or TensorFlow error."""
    if isinstance(err, OSError):
        return err.strerror or type(err).__name__
    text = getattr(err, "message", None) or str(err)
    lines = [line.strip() for line in text.splitlines() if line.strip() and line.strip() != "Graph execution error:"]
    return lines[0] if lines else type(err).__name__

# ----------------------------------------------------------------------------
# Addresses and TF_CONFIG.


def parse_address(text, what="Address") -> str:
    """'host:port' (IPv6 hosts in brackets) checked and normalised, or ClusterError."""
    host, sep, port = text.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536 or (":" in host and not host.startswith("[")):
        raise ClusterError("%s '%s' is not HOST:PORT (write IPv6 hosts as [addr]:PORT)." % (what, text.strip()))
    return "%s:%d" % (host, int(port))


def parse_addresses(text) -> list:
    """A comma-separated list of distinct HOST:PORT worker addresses."""
    addresses = [parse_address(part, "Worker address") for part in text.split(",") if part.strip()]
    if not addresses:
        raise ClusterError("--cluster names no workers; give HOST:PORT,HOST:PORT,...")
    repeated = sorted({address for address in addresses if addresses.count(address) > 1})
    if repeated:
        raise ClusterError("--cluster names %s more than once; each worker needs a port of its own." % repeated[0])
    return addresses


def free_loopback_ports(count):
    """Ports nothing listens on right now on 127.0.0.1 (the system's choice for port 0): for local workers in tests and benchmarks."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _host_and_port(address):
    host, _, port = address.rpartition(":")
    return host.strip("[]"), int(port)


def _join(host, port):
    return "[%s]:%d" % (host, port) if ":" in host else "%s:%d" % (host, port)


def from_tf_config():
    """The TF_CONFIG environment variable, as TensorFlow documents it: EasyDict(role, workers, chief, task), or None when unset.

    role is 'chief' or 'worker'; chief is the chief's HOST:PORT or None (then it is chosen automatically).
    """
    if not os.environ.get("TF_CONFIG", "").strip():
        return None
    try:
        resolver = tf.distribute.cluster_resolver.TFConfigClusterResolver()
        jobs, role, task = resolver.cluster_spec().as_dict(), resolver.task_type, resolver.task_id
    except (ValueError, TypeError, KeyError, AttributeError) as err:  # json.JSONDecodeError is a ValueError
        raise ClusterError("Cannot read TF_CONFIG: %s." % err)
    unknown = sorted(set(jobs) - {CHIEF_JOB, WORKER_JOB})
    if unknown:
        raise ClusterError("TF_CONFIG names job '%s'; training uses only 'chief' (this run) and 'worker' jobs." % unknown[0])
    if role not in (CHIEF_JOB, WORKER_JOB):
        raise ClusterError("TF_CONFIG's task type is %r; it must be 'chief' or 'worker'." % (role,))
    workers, chiefs = jobs.get(WORKER_JOB, []), jobs.get(CHIEF_JOB, [])
    if not isinstance(workers, list) or not isinstance(chiefs, list) or len(chiefs) > 1:
        raise ClusterError("TF_CONFIG's cluster must list the workers' addresses and at most one chief address.")
    workers = parse_addresses(",".join(workers))
    chief = parse_address(chiefs[0], "TF_CONFIG's chief address") if chiefs else None
    return util.EasyDict(role=role, workers=workers, chief=chief, task=int(task or 0))

# ----------------------------------------------------------------------------
# Workers.


_NO_ANSWER = "no answer within %g s"
_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])  # client preface, then an empty SETTINGS frame


def probe(address, seconds=5.0):
    """None when a gRPC server (a TensorFlow worker) answers at address within `seconds`, else why not.

    Opens an HTTP/2 connection and waits for the server's first frame, which must be SETTINGS: a stopped or
    hung process may still accept the TCP connection, but only a running server answers.
    """
    host, port = _host_and_port(address)
    deadline = time.monotonic() + seconds
    try:
        with socket.create_connection((host, port), timeout=seconds) as conn:
            conn.sendall(_HTTP2_PREFACE)
            header = b""
            while len(header) < 9:
                conn.settimeout(max(deadline - time.monotonic(), 0.001))
                chunk = conn.recv(9 - len(header))
                if not chunk:
                    break
                header += chunk
    except socket.timeout:
        return _NO_ANSWER % seconds
    except OSError as err:
        return _reason(err)
    if len(header) < 9 or header[3] != 4:
        return "not a TensorFlow worker (no gRPC answer)"
    return None


def unresponsive(workers, seconds=5.0) -> list:
    """[(task, address, reason)] of the workers that do not answer within `seconds` (all asked at once)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(workers), 32)) as pool:
        reasons = list(pool.map(lambda address: probe(address, seconds), workers))
    return [(task, address, reason) for task, (address, reason) in enumerate(zip(workers, reasons)) if reason is not None]


def _describe(lost) -> str:
    return "; ".join("worker %d (%s): %s" % (task, address, reason) for task, address, reason in lost)


def check_reachable(workers, seconds=5.0) -> None:
    """Refuse to start, naming each worker that does not answer within `seconds`."""
    lost = unresponsive(workers, seconds)
    if lost:
        raise ClusterError("Cannot reach %s. Start each worker on its machine with `python train.py --worker --cluster=%s --task=N`, "
                           "or correct --cluster; a worker answers only the hosts of its --cluster and --chief-address."
                           % (_describe(lost), ",".join(workers)))


def start_server(server_def, address, peer_addresses, what):
    """A started TensorFlow server for server_def at HOST:PORT address (port 0: any free one), answering (Linux) only on
    HOST and only the hosts of peer_addresses and itself: (server, its port, restricted -- False where the platform
    cannot, so the port is open on every interface). what names it in errors ('worker 1').

    The server is made without starting it, which already listens but answers no request; the filter is attached and
    nobody else may have connected before the server starts. A server that fails this is never started (TensorFlow
    cannot close it: the process should end).
    """
    host, port = _host_and_port(address)
    restriction = None
    if listen_filter.SUPPORTED:
        try:
            restriction = listen_filter.Restriction(host, sorted({_host_and_port(peer)[0] for peer in peer_addresses}))
        except listen_filter.ListenFilterError as err:
            raise ClusterError("Cannot start %s at %s: %s." % (what, address, err))
    if port and not _port_free(port):
        raise ClusterError("Cannot start %s: port %d is in use on this machine." % (what, port))
    try:
        with tf_startup.native_stderr_held():  # its device listing prints CUDA's start-up lines on CPU-only machines
            server = tf.distribute.Server(server_def, start=False)
    except (tf.errors.OpError, RuntimeError, ValueError) as err:
        raise ClusterError("Cannot start %s on port %d: %s." % (what, port, _reason(err)))
    port = int(server.target.rsplit(":", 1)[1])
    if restriction is not None:
        try:
            restriction.apply(port)
        except (listen_filter.ListenFilterError, OSError) as err:
            raise ClusterError("Cannot hold %s to %s and the cluster's hosts: %s." % (what, _join(host, port), err))
    server.start()
    return server, port, restriction is not None


def _port_free(port) -> bool:
    """Whether nothing listens on `port` (TensorFlow's own error for a taken port does not say so)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gRPC does: connections that just closed do not count
        try:
            probe.bind(("0.0.0.0", port))
            return True
        except OSError:
            return False


def start_worker(workers, task, chief=None):
    """Start worker `task` of the cluster: a TensorFlow server on that address's port, answering only the hosts of
    workers and chief (HOST:PORT or None). Returns (server, restricted: see start_server); keep the server."""
    if not 0 <= task < len(workers):
        raise ClusterError("--task=%d is not a position in --cluster (0 to %d)." % (task, len(workers) - 1))
    os.environ.setdefault("GRPC_FAIL_FAST", "true")  # calls to a dead chief fail at once instead of waiting for it forever
    server_def = tensorflow_server_pb2.ServerDef(cluster=tf.train.ClusterSpec({WORKER_JOB: workers}).as_cluster_def(),
                                                 job_name=WORKER_JOB, task_index=task, protocol="grpc")
    server_def.default_session_config.gpu_options.allow_growth = True  # a chief or a second worker may share this machine's GPUs
    server, _, restricted = start_server(server_def, workers[task], workers + ([chief] if chief else []), "worker %d" % task)
    return server, restricted


def serve_worker(workers, task, chief=None) -> None:
    """Run worker `task` until the process is killed or interrupted (Ctrl+C), after one line saying where it listens."""
    server, restricted = start_worker(workers, task, chief)
    if restricted:
        hosts = sorted({_host_and_port(address)[0] for address in workers + ([chief] if chief else [])})
        where = "%s, answering only %s" % (workers[task], ", ".join(hosts))
    else:
        where = "*:%d, all interfaces (let only the cluster's hosts reach this port)" % _host_and_port(workers[task])[1]
    print("Worker %d of %d listening on %s. Stop it with Ctrl+C." % (task, len(workers), where), flush=True)
    while server is not None:  # not server.join(): that would not return for Ctrl+C
        time.sleep(3600)

# ----------------------------------------------------------------------------
# The chief.


def _local_address_towards(address) -> str:
    """This machine's IP address on the route to `address` (a UDP connect sends nothing)."""
    host, port = _host_and_port(address)
    try:
        family, _, _, _, sockaddr = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
        with socket.socket(family, socket.SOCK_DGRAM) as udp:
            udp.connect(sockaddr)
            return udp.getsockname()[0]
    except OSError as err:
        raise ClusterError("Cannot find this machine's address towards worker %s: %s. Pass --chief-address=HOST:PORT." % (address, _reason(err)))


class Cluster:
    """The chief's side: its server, the workers, and the session settings that reach them."""

    def __init__(self, workers, chief_address=None, timeout=600.0, data_dir=None):
        self.workers = list(workers)
        self.timeout = float(timeout)       # seconds a session run may wait for the workers
        self.data_dir = data_dir            # where the workers find the datasets (None: the chief's data_dir, made absolute)
        os.environ.setdefault("GRPC_FAIL_FAST", "true")  # a dead worker fails a step at once, and closing does not wait for it
        host, port = _host_and_port(chief_address) if chief_address else (_local_address_towards(self.workers[0]), 0)
        boot = tensorflow_server_pb2.ServerDef(cluster=tf.train.ClusterSpec({_BOOT_JOB: [_join(host, port)]}).as_cluster_def(),
                                               job_name=_BOOT_JOB, task_index=0, protocol="grpc")
        self.server, port, restricted = start_server(boot, _join(host, port), self.workers, "the chief's server")
        self.address = _join(host, port)
        if not restricted:
            print("The chief's server listens on *:%d, all interfaces: let only the cluster's hosts reach this port." % port, flush=True)
        self.target = "grpc://" + self.address
        self._watching = self._fired = False
        self._lock = threading.Lock()

    def session_config(self) -> tf.ConfigProto:
        """Merged into the training session's config: the whole cluster, isolated worker state, and the wait bound."""
        config = tf.ConfigProto()
        config.cluster_def.CopyFrom(tf.train.ClusterSpec({CHIEF_JOB: [self.address], WORKER_JOB: self.workers}).as_cluster_def())
        config.isolate_session_state = True  # a resumed run never meets a previous session's leftovers on a worker
        config.operation_timeout_in_ms = int(self.timeout * 1000)
        return config

    def find_towers(self, session, num_gpus) -> list:
        """Tower devices: num_gpus per worker, on its GPUs, or num_gpus towers on its CPU when it has none."""
        try:
            devices = session.list_devices()  # bounded by the session's operation timeout
        except WORKER_ERRORS as err:
            lost = unresponsive(self.workers)
            raise ClusterError("Cannot start training: %s." % (_describe(lost) if lost else "the workers did not answer (%s)" % _reason(err)))
        specs = [tf.DeviceSpec.from_string(device.name) for device in devices]
        towers = []
        for task, address in enumerate(self.workers):
            gpus = sorted(s.device_index for s in specs if s.job == WORKER_JOB and s.task == task and s.device_type == "GPU")
            if gpus and len(gpus) < num_gpus:
                raise ClusterError("Worker %d (%s) has %d GPUs; --num-gpus=%d asks for that many on every worker." % (task, address, len(gpus), num_gpus))
            towers += ["/job:%s/task:%d/device:%s" % (WORKER_JOB, task, "GPU:%d" % gpus[k] if gpus else "CPU:0") for k in range(num_gpus)]
        return towers

    def describe(self, towers) -> str:
        """One line for the log: the cluster's size and where everything runs."""
        per_worker = ["worker %d %s: %s" % (task, address, ", ".join(t.rsplit("device:", 1)[1] for t in towers if "/task:%d/" % task in t))
                      for task, address in enumerate(self.workers)]
        return "Cluster: %d workers, %d towers (%s); variables, optimizer and snapshots on the chief %s." % (
            len(self.workers), len(towers), "; ".join(per_worker), self.address)

    def watch(self, on_lost, newest_snapshot=None, interval=5.0) -> None:
        """Call on_lost(ClusterError) from a daemon thread once a worker has not answered for `timeout` seconds.

        TensorFlow bounds a step's run on the workers (operation_timeout_in_ms) but not its set-up there: the first
        run of a new set of fetches waits for a hung worker forever. on_lost must end the process. newest_snapshot:
        a function giving the snapshot to resume from (or None), for the message.
        """
        def loop():
            silent_since = {}
            while self._watching:
                now = time.monotonic()
                silent = unresponsive(self.workers, interval)
                silent_since = {task: silent_since.get(task, now) for task, _, _ in silent}
                overdue = [item for item in silent if now - silent_since[item[0]] >= self.timeout]
                if overdue and self._stop_watching(fire=True):
                    on_lost(self._lost_error("Lost " + _describe([(task, address, "no answer for %g s" % self.timeout)
                                                                   for task, address, _ in overdue]), newest_snapshot))
                    return
                time.sleep(interval)
        self._watching = True
        threading.Thread(target=loop, name="cluster-watchdog", daemon=True).start()

    def _stop_watching(self, fire=False) -> bool:
        """Stop the watchdog (fire: as the watchdog, about to end the process); False when it was not watching.

        When the watchdog has fired, the caller waits for it to end the process rather than report a second error.
        """
        with self._lock:
            was_watching, self._watching = self._watching, False
            self._fired = self._fired or (fire and was_watching)
            fired = self._fired and not fire
        if fired:
            time.sleep(60)
        return was_watching

    def worker_lost(self, err, newest_snapshot=None) -> ClusterError:
        """The one-line error for a session run that failed because of a worker (err: one of WORKER_ERRORS); see watch()."""
        self._stop_watching()
        lost = unresponsive(self.workers)
        if lost:
            return self._lost_error("Lost " + _describe(lost), newest_snapshot)
        # answering again by now (restarted, or a passing network fault): name the task TensorFlow blamed, if any
        tasks = sorted({int(task) for task in re.findall(r"/job:%s/replica:\d+/task:(\d+)" % WORKER_JOB, str(err))})
        names = ", ".join("worker %d (%s)" % (task, self.workers[task]) for task in tasks if task < len(self.workers))
        return self._lost_error("Lost contact with %s (%s: %s)" % (names or "a worker", type(err).__name__, _reason(err)), newest_snapshot)

    @staticmethod
    def _lost_error(what, newest_snapshot) -> ClusterError:
        snapshot = newest_snapshot() if newest_snapshot is not None else None
        if snapshot is None:
            return ClusterError("%s. Training stopped before its first snapshot: start the worker again, then run again." % what)
        return ClusterError("%s. Training stopped: start the worker again, then continue from the newest snapshot with --resume=%s."
                            % (what, snapshot))

    def close_session(self, session) -> None:
        """Close the training session, which frees its state on the workers; skipped while a worker hangs (closing would
        wait for it forever: the other workers then keep that state until they restart). A dead worker fails fast."""
        self._stop_watching()
        hanging = [task for task, _, reason in unresponsive(self.workers) if reason.startswith(_NO_ANSWER.split("%")[0])]
        if session is not None and not hanging:
            session.close()
