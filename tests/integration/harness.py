"""Starts real servers on free ports for the integration tests: tallyd (the binary under test,
from $TALLYD) and Debian's redis-server 7.0 (for differential tests). Also a raw-socket client
that reports the exact reply bytes and whether the server closed the connection."""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
# Absolute: servers run with their data directory as the working directory.
TALLYD = os.path.abspath(
    os.environ.get("TALLYD") or os.path.join(HERE, "..", "..", "build", "tallyd"))
REDIS_SERVER = shutil.which("redis-server") or "/usr/bin/redis-server"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, proc, timeout=20.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before it was ready")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(64).startswith((b"+PONG", b"-NOAUTH")):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError("server did not become ready")


class Server:
    """Base: a server process with its own port and data directory."""

    def __init__(self, data_dir=None, extra=()):
        self.port = free_port()
        self.own_dir = data_dir is None
        self.dir = data_dir or tempfile.mkdtemp(prefix="tally-it-")
        self.extra = list(extra)
        self.proc = None
        self.log_path = os.path.join(self.dir, "server.log")

    def command(self):
        raise NotImplementedError

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.dir)
        wait_ready(self.port, self.proc)
        return self

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Stops the server with `sig` and returns its exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        self.log.close()
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start()

    def cleanup(self):
        self.stop(signal.SIGKILL)
        if self.own_dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def log_text(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def __enter__(self):
        # A free port found here may be taken by a parallel test before the server binds it
        # (ctest -j2): the first start tries new ports, a few times, when that is what failed.
        for attempt in range(3):
            try:
                return self.start()
            except RuntimeError:
                if attempt == 2 or "Address already in use" not in self.log_text():
                    raise
                self.stop()
                self.pick_ports()

    def pick_ports(self):
        self.port = free_port()

    def __exit__(self, *exc):
        self.cleanup()


class Tallyd(Server):
    """tallyd with its RESP port and its HTTP API on free ports (self.port, self.http_port)."""

    def __init__(self, data_dir=None, extra=()):
        super().__init__(data_dir, extra)
        self.http_port = free_port()

    def command(self):
        return [TALLYD, "--port", str(self.port), "--http-port", str(self.http_port),
                "--dir", self.dir] + self.extra

    def pick_ports(self):
        super().pick_ports()
        self.http_port = free_port()

    def url(self, path):
        return f"http://127.0.0.1:{self.http_port}{path}"


class RedisServer(Server):
    """Redis 7.0 with the durability tallyd's default matches: AOF, fsync always."""

    def command(self):
        return [REDIS_SERVER, "--port", str(self.port), "--dir", self.dir, "--save", "",
                "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no"] + self.extra


def encode(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


END = encode("ECHO", "__END__")
END_REPLY = b"$7\r\n__END__\r\n"


def exchange(port, data, marker=True, timeout=3.0):
    """Sends `data` on a new connection (followed by an ECHO marker unless marker=False) and
    reads until the marker's reply, the server closing, or `timeout`. Returns (reply bytes
    without the marker reply, closed)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data + (END if marker else b""))
        buf = b""
        closed = False
        deadline = time.time() + timeout
        while time.time() < deadline:
            s.settimeout(max(0.05, deadline - time.time()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            buf += chunk
            if marker and buf.endswith(END_REPLY):
                return buf[: -len(END_REPLY)], False
        return buf, closed
    finally:
        s.close()


def install_npm(folder, packages):
    """Installs npm packages ({alias: "name@version"}) into `folder` unless that exact set is
    there already. Each test that needs npm packages has its own folder (ctest runs tests in
    parallel)."""
    wanted = json.dumps(packages, sort_keys=True)
    stamp = os.path.join(folder, "installed.json")
    if os.path.exists(stamp) and open(stamp).read() == wanted:
        return
    os.makedirs(folder, exist_ok=True)
    subprocess.run(["npm", "init", "-y"], cwd=folder, capture_output=True, check=True)
    specs = [f"{alias}@npm:{spec}" for alias, spec in packages.items()]
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"] + specs,
                   cwd=folder, check=True, timeout=600)
    with open(stamp, "w") as f:
        f.write(wanted)


def run_tests(tests):
    """Runs test functions, prints one line each and 'N passed, N failed'; exits non-zero if any
    failed."""
    passed = failed = 0
    for t in tests:
        start = time.time()
        try:
            t()
            passed += 1
            print(f"PASS {t.__name__} ({time.time() - start:.1f}s)", flush=True)
        except Exception:  # noqa: BLE001 - report every failure and go on
            failed += 1
            import traceback
            print(f"FAIL {t.__name__}", flush=True)
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed", flush=True)
    sys.exit(1 if failed else 0)
