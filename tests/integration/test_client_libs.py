"""Real client libraries in their default configuration against tallyd, then with a password
(requirepass) and a non-zero database. Each runs the same scenario (clients/*): INCR, INCRBY,
DECR, GET, SET with EX, MGET, MSET, DEL, a transaction, a pipeline of 1,000 commands; then the
server restarts and the client finds its counters. Also redis-cli's other modes and
prometheus-redis-exporter scraping tallyd.

Clients: Debian's python3-redis (with and without python3-hiredis), python3-aioredis, ruby-redis,
php-redis, php-predis, libredis-perl, libredis-fast-perl, lua-redis, Go's redigo
(golang-github-gomodule-redigo-dev, built here with Debian's Go), C's hiredis (built by CMake,
$HIREDIS_CLIENT); from npm, pinned: ioredis 5 and 6, node-redis (redis) 4 and 6, installed into a
folder this test owns (build/node-clients, or $TALLY_NODE_CLIENTS).

Every step has a deadline: a client that cannot connect or does not answer fails the test within
STEP_SECONDS with its own error output, never by running into ctest's timeout.

The default bind ("127.0.0.1 -::1", Redis's) is tested over ::1, 127.0.0.1 and through
"localhost" with ioredis in its default settings, both with this machine's /etc/hosts and with
Debian's stock one (which maps localhost to ::1 as well, so Node dials ::1 first), bind-mounted
over /etc/hosts in a private mount namespace (unshare -m) for the client alone."""
import json
import os
import queue
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request

from harness import HERE, Tallyd, free_port, install_npm, run_tests

CLIENTS_DIR = os.path.join(HERE, "clients")
NODE_DIR = os.environ.get("TALLY_NODE_CLIENTS") or os.path.join(HERE, "..", "..", "build",
                                                                   "node-clients")
NODE_PACKAGES = {"ioredis5": "ioredis@5.11.1", "ioredis6": "ioredis@6.0.0",
                 "redis4": "redis@4.7.0", "redis6": "redis@6.3.1"}
PASSWORD = "s3cret-pass"
STEP_SECONDS = 30
BUILD_DIR = os.path.join(HERE, "..", "..", "build")
GO_CLIENT = os.path.join(BUILD_DIR, "go-clients", "redigo_client")
HIREDIS_CLIENT = os.environ.get("HIREDIS_CLIENT") or os.path.join(BUILD_DIR, "tests",
                                                                  "hiredis_client")
# Debian 12's /etc/hosts as netcfg writes it on a fresh install.
STOCK_HOSTS = ("127.0.0.1\tlocalhost\n127.0.1.1\tdebian\n\n"
               "# The following lines are desirable for IPv6 capable hosts\n"
               "::1     localhost ip6-localhost ip6-loopback\n"
               "ff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n")


def install_node_clients():
    install_npm(NODE_DIR, NODE_PACKAGES)


def build_go_client():
    """Builds the redigo scenario with Debian's Go against Debian's GOPATH (no module
    downloads)."""
    src = os.path.join(CLIENTS_DIR, "redigo_client.go")
    if os.path.exists(GO_CLIENT) and os.path.getmtime(GO_CLIENT) >= os.path.getmtime(src):
        return
    os.makedirs(os.path.dirname(GO_CLIENT), exist_ok=True)
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode", GOFLAGS="",
               GOCACHE=os.path.join(os.path.dirname(GO_CLIENT), "cache"))
    subprocess.run(["go", "build", "-o", GO_CLIENT, src], env=env, check=True, timeout=600)


def client_command(name, port, password, db):
    args = [str(port), password, str(db)]
    script = lambda f: os.path.join(CLIENTS_DIR, f)  # noqa: E731
    if name.startswith("python"):
        return ["/usr/bin/python3", script("python_client.py")] + args + [name.split("-")[1]]
    commands = {
        "aioredis": ["/usr/bin/python3", script("aioredis_client.py")] + args,
        "ruby": ["ruby", script("ruby_client.rb")] + args,
        "php": ["php", script("php_client.php")] + args,
        "predis": ["php", script("predis_client.php")] + args,
        "perl": ["perl", script("perl_client.pl")] + args,
        "perl-fast": ["perl", script("perl_client.pl")] + args + ["Redis::Fast"],
        "lua": ["lua5.1", script("lua_client.lua")] + args,
        "redigo": [GO_CLIENT] + args,
        "hiredis": [HIREDIS_CLIENT] + args,
    }
    return commands.get(name) or ["node", script("node_client.js"), name] + args


class Client:
    """A client scenario process whose output lines are read with a deadline."""

    def __init__(self, command, env=None):
        self.proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=env)
        self.lines = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()

    @staticmethod
    def _pump(stream, q):
        for line in stream:
            q.put(line)
        q.put(None)

    def _drain(self):
        for line in self.proc.stderr:
            self.stderr.append(line)

    def expect(self, want, timeout=STEP_SECONDS):
        deadline = time.time() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                line = None
                why = f"no '{want}' within {timeout} s"
            else:
                why = f"exited ({self.proc.poll()}) before '{want}'"
            if line is not None and line.strip() == want:
                return
            if line is None:
                self.kill()
                time.sleep(0.2)
                raise AssertionError(f"client {why}; its stderr: {''.join(self.stderr)[-3000:]}")

    def send(self, text):
        self.proc.stdin.write(text)
        self.proc.stdin.flush()

    def wait(self, timeout=STEP_SECONDS):
        rc = self.proc.wait(timeout=timeout)
        time.sleep(0.1)
        assert rc == 0, f"client exited {rc}: {''.join(self.stderr)[-3000:]}"

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def node_env():
    return dict(os.environ, NODE_PATH=os.path.join(NODE_DIR, "node_modules"))


def scenario(name, with_password):
    extra = ["--requirepass", PASSWORD] if with_password else []
    with Tallyd(extra=extra) as t:
        c = Client(client_command(name, t.port, PASSWORD if with_password else "",
                                  3 if with_password else 0), env=node_env())
        try:
            c.expect("PHASE1 OK")
            t.restart()
            c.send("go\n")
            c.expect("PHASE2 OK")
            c.wait()
        finally:
            c.kill()


def ping(family, host, port):
    with socket.socket(family) as s:
        s.settimeout(5)
        s.connect((host, port))
        s.sendall(b"PING\r\n")
        return s.recv(64)


def run_ioredis_default(port, hosts_file=None):
    """Runs the ioredis 5 scenario (default settings: host 'localhost'), with `hosts_file`
    bind-mounted over /etc/hosts for that process alone when given."""
    command = client_command("ioredis5", port, "", 0)
    if hosts_file:
        command = ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"',
                   hosts_file] + command
    c = Client(command, env=node_env())
    try:
        c.expect("PHASE1 OK")
        c.send("go\n")
        c.expect("PHASE2 OK")
        c.wait()
    finally:
        c.kill()


def test_default_bind_ipv4_ipv6_and_localhost():
    # No --bind: tallyd's default, Redis's "127.0.0.1 -::1".
    with Tallyd() as t:
        out = subprocess.run(["redis-cli", "-p", str(t.port), "CONFIG", "GET", "bind"],
                             capture_output=True, text=True, timeout=10).stdout
        assert out.split("\n")[:2] == ["bind", "127.0.0.1 -::1"], out
        assert ping(socket.AF_INET, "127.0.0.1", t.port) == b"+PONG\r\n"
        assert ping(socket.AF_INET6, "::1", t.port) == b"+PONG\r\n"
        # Node's own resolution of "localhost" with Debian's stock /etc/hosts: ::1 first.
        with tempfile.NamedTemporaryFile("w", suffix=".hosts", delete=False) as f:
            f.write(STOCK_HOSTS)
        try:
            order = subprocess.run(
                ["unshare", "-m", "sh", "-c", 'mount --bind "$0" /etc/hosts && exec "$@"',
                 f.name, "node", "-e",
                 "require('dns').lookup('localhost', (e, a) => console.log(a))"],
                capture_output=True, text=True, timeout=STEP_SECONDS)
            assert order.stdout.strip() == "::1", (order.stdout, order.stderr)
            run_ioredis_default(t.port, hosts_file=f.name)
        finally:
            os.unlink(f.name)
        subprocess.run(["redis-cli", "-p", str(t.port), "FLUSHALL"], check=True, timeout=10,
                       capture_output=True)
        run_ioredis_default(t.port)  # this machine's /etc/hosts, whatever it maps


def test_bind_forms():
    # Several addresses, '-' for an optional one that cannot be bound here (TEST-NET-1 is not
    # a local address), and the '*' / '::*' wildcards.
    with Tallyd(extra=["--bind", "127.0.0.1 -192.0.2.123 -::1"]) as t:
        assert ping(socket.AF_INET, "127.0.0.1", t.port) == b"+PONG\r\n"
        assert "Skipping optional address 192.0.2.123" in t.log_text()
    with Tallyd(extra=["--bind", "* -::*"]) as t:
        assert ping(socket.AF_INET, "127.0.0.1", t.port) == b"+PONG\r\n"
        assert ping(socket.AF_INET6, "::1", t.port) == b"+PONG\r\n"
        out = subprocess.run(["redis-cli", "-p", str(t.port), "CONFIG", "GET", "bind"],
                             capture_output=True, text=True, timeout=10).stdout
        assert out.split("\n")[:2] == ["bind", "* -::*"], out
    # Without '-', an address that cannot be bound stops start-up with a message naming it.
    t = Tallyd(extra=["--bind", "127.0.0.1 192.0.2.123"])
    try:
        t.start()
        raise AssertionError("tallyd started although 192.0.2.123 cannot be bound")
    except RuntimeError:
        assert "cannot listen on 192.0.2.123" in t.log_text(), t.log_text()
    finally:
        t.cleanup()


def test_client_that_cannot_connect_fails_fast():
    # Nothing listens on this port: the client fails with its own error, quickly.
    port = free_port()
    c = Client(client_command("redigo", port, "", 0))
    start = time.time()
    try:
        c.expect("PHASE1 OK")
        raise AssertionError("PHASE1 OK without a server")
    except AssertionError as e:
        assert "connection refused" in str(e), e
        assert time.time() - start < STEP_SECONDS
    finally:
        c.kill()


def make(name, with_password):
    def test():
        scenario(name, with_password)
    test.__name__ = f"test_{name.replace('-', '_')}_{'password_db3' if with_password else 'default'}"
    return test


def test_redis_cli_modes():
    with Tallyd(extra=["--requirepass", PASSWORD]) as t:
        base = ["redis-cli", "-p", str(t.port), "-a", PASSWORD, "--no-auth-warning", "-n", "3"]
        run = lambda *a, **k: subprocess.run(base + list(a), capture_output=True, text=True,  # noqa
                                             timeout=60, **k)
        for i in range(30):
            assert run("SET", f"key:{i}", str(i)).stdout.strip() == "OK"
        scanned = run("--scan", "--pattern", "key:*").stdout.split()
        assert sorted(scanned) == sorted(f"key:{i}" for i in range(30))
        # stdbuf: redis-cli's stdout is a pipe here, which stdio would buffer fully.
        stat = subprocess.Popen(["stdbuf", "-oL"] + base + ["--stat", "-i", "0.5"],
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        time.sleep(2)
        stat.terminate()
        out = stat.communicate(timeout=10)[0]
        rows = [l.split() for l in out.splitlines() if l[:1].isdigit()]
        assert rows and rows[-1][0] == "30", out  # the keys column
        out = run("-3", "HELLO", "3").stdout
        assert "proto" in out, out
        out = run(input="INCR x\nGET x\n").stdout.split()
        assert out == ["1", "1"], out


def test_prometheus_redis_exporter():
    with Tallyd() as t:
        subprocess.run(["redis-cli", "-p", str(t.port), "MSET", "a", "1", "b", "2"], check=True,
                       capture_output=True)
        port = free_port()
        exporter = subprocess.Popen(
            ["prometheus-redis-exporter", f"--redis.addr=redis://127.0.0.1:{t.port}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        try:
            body = ""
            for _ in range(100):
                try:
                    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                                  timeout=5).read().decode()
                    break
                except OSError:
                    time.sleep(0.1)
            lines = body.splitlines()
            assert "redis_up 1" in lines, body[:2000]
            assert 'redis_db_keys{db="db0"} 2' in lines, [l for l in lines if "db_keys" in l]
            assert any(l.startswith("redis_connected_clients ") for l in lines)
            assert any(l.startswith("redis_commands_processed_total ") for l in lines)
            assert any(l.startswith("redis_uptime_in_seconds ") for l in lines)
        finally:
            exporter.terminate()
            exporter.wait(timeout=10)


NAMES = ["python-hiredis", "python-python", "aioredis", "ruby", "php", "predis", "perl",
         "perl-fast", "lua", "redigo", "hiredis", "ioredis5", "ioredis6", "redis4", "redis6"]

if __name__ == "__main__":
    install_node_clients()
    build_go_client()
    run_tests([test_default_bind_ipv4_ipv6_and_localhost, test_bind_forms,
               test_client_that_cannot_connect_fails_fast] +
              [make(n, p) for n in NAMES for p in (False, True)] +
              [test_redis_cli_modes, test_prometheus_redis_exporter])
