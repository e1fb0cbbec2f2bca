"""Real client libraries in their default configuration against tallyd, then with a password
(requirepass) and a non-zero database. Each runs the same scenario (clients/*): INCR, INCRBY,
DECR, GET, SET with EX, MGET, MSET, DEL, a transaction, a pipeline of 1,000 commands; then the
server restarts and the client finds its counters. Also redis-cli's other modes and
prometheus-redis-exporter scraping tallyd.

Clients: Debian's python3-redis (with and without python3-hiredis), ruby-redis, php-redis,
libredis-perl; from npm, pinned: ioredis 5 and 6, node-redis (redis) 4 and 6, installed into a
folder this test owns (build/node-clients, or $TALLY_NODE_CLIENTS)."""
import json
import os
import subprocess
import time
import urllib.request

from harness import HERE, Tallyd, free_port, run_tests

CLIENTS_DIR = os.path.join(HERE, "clients")
NODE_DIR = os.environ.get("TALLY_NODE_CLIENTS") or os.path.join(HERE, "..", "..", "build",
                                                                   "node-clients")
NODE_PACKAGES = {"ioredis5": "ioredis@5.11.1", "ioredis6": "ioredis@6.0.0",
                 "redis4": "redis@4.7.0", "redis6": "redis@6.3.1"}
PASSWORD = "s3cret-pass"


def install_node_clients():
    wanted = json.dumps(NODE_PACKAGES, sort_keys=True)
    stamp = os.path.join(NODE_DIR, "installed.json")
    if os.path.exists(stamp) and open(stamp).read() == wanted:
        return
    os.makedirs(NODE_DIR, exist_ok=True)
    subprocess.run(["npm", "init", "-y"], cwd=NODE_DIR, capture_output=True, check=True)
    specs = [f"{alias}@npm:{spec}" for alias, spec in NODE_PACKAGES.items()]
    subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--loglevel=error"] + specs,
                   cwd=NODE_DIR, check=True, timeout=600)
    with open(stamp, "w") as f:
        f.write(wanted)


def client_command(name, port, password, db):
    args = [str(port), password, str(db)]
    script = lambda f: os.path.join(CLIENTS_DIR, f)  # noqa: E731
    if name.startswith("python"):
        return ["/usr/bin/python3", script("python_client.py")] + args + [name.split("-")[1]]
    if name == "ruby":
        return ["ruby", script("ruby_client.rb")] + args
    if name == "php":
        return ["php", script("php_client.php")] + args
    if name == "perl":
        return ["perl", script("perl_client.pl")] + args
    return ["node", script("node_client.js"), name] + args


def expect_line(proc, want, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        if line.strip() == want:
            return
    proc.kill()
    raise AssertionError(f"no '{want}'; stderr: {proc.stderr.read()}")


def scenario(name, with_password):
    extra = ["--requirepass", PASSWORD] if with_password else []
    with Tallyd(extra=extra) as t:
        env = dict(os.environ, NODE_PATH=os.path.join(NODE_DIR, "node_modules"))
        proc = subprocess.Popen(
            client_command(name, t.port, PASSWORD if with_password else "",
                           3 if with_password else 0),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=env)
        try:
            expect_line(proc, "PHASE1 OK")
            t.restart()
            proc.stdin.write("go\n")
            proc.stdin.flush()
            expect_line(proc, "PHASE2 OK")
            assert proc.wait(timeout=30) == 0, proc.stderr.read()
        finally:
            if proc.poll() is None:
                proc.kill()


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


NAMES = ["python-hiredis", "python-python", "ruby", "php", "perl", "ioredis5", "ioredis6",
         "redis4", "redis6"]

if __name__ == "__main__":
    install_node_clients()
    run_tests([make(n, p) for n in NAMES for p in (False, True)] +
              [test_redis_cli_modes, test_prometheus_redis_exporter])
