"""The operator's commands and tools (issue 14): LATENCY LATEST/HISTORY/RESET over the commit
log's "commit" and "fsync" events, INFO latencystats, MEMORY USAGE, and redis-cli's --stat,
--latency, --bigkeys and --memkeys run against tallyd. Where the output is deterministic the
bytes are compared with Debian's redis-server 7.0."""
import re
import signal
import subprocess
import time

import redis

from harness import RedisServer, Tallyd, encode, exchange, run_tests


def same(t, r, *cmds):
    data = b"".join(encode(*c) for c in cmds)
    got, want = exchange(t.port, data), exchange(r.port, data)
    assert got == want, (cmds, want, got)


def test_latency_monitor_records_slow_commits():
    with Tallyd(extra=["--latency-monitor-threshold", "10", "--debug-commit-delay-ms", "40"]) as t:
        c = redis.Redis(port=t.port)
        c.incr("k")
        latest = {e[0]: e[1:] for e in c.execute_command("LATENCY", "LATEST")}
        assert b"commit" in latest, latest
        when, last_ms, max_ms = latest[b"commit"]
        assert abs(when - time.time()) < 5 and 40 <= last_ms <= max_ms, latest
        history = c.execute_command("LATENCY", "HISTORY", "commit")
        assert len(history) >= 1 and history[-1][1] >= 40, history
        assert c.execute_command("LATENCY", "RESET", "nosuch") == 0
        assert c.execute_command("LATENCY", "RESET") >= 1
        assert c.execute_command("LATENCY", "LATEST") == []
        # Off: nothing is recorded.
        c.config_set("latency-monitor-threshold", 0)
        c.incr("k")
        assert c.execute_command("LATENCY", "LATEST") == []


def test_latency_replies_match_redis():
    with Tallyd() as t, RedisServer() as r:
        same(t, r, ("LATENCY", "LATEST"), ("LATENCY", "HISTORY", "nosuch"), ("LATENCY", "RESET"),
             ("LATENCY", "RESET", "a", "b"), ("LATENCY", "HISTORY"), ("LATENCY", "NOSUCH"),
             ("LATENCY",), ("LATENCY", "LATEST", "x"))


def test_info_latencystats():
    with Tallyd() as t, RedisServer() as r:
        stats = []
        for port in (t.port, r.port):
            c = redis.Redis(port=port)
            for i in range(200):
                c.incr("n")
            c.get("n")
            c.config_get("port")
            info = c.info("latencystats")
            stats.append({k[len("latency_percentiles_usec_"):]: v for k, v in info.items()})
        got, want = stats
        # The same commands, the same percentile labels; the values are each server's own.
        assert set(got) == set(want) and {"incrby", "get", "config|get"} <= set(got), (want, got)
        for name, line in got.items():
            assert list(line) == list(want[name]) == ["p50", "p99", "p99.9"], (line, want)
            values = list(line.values())
            assert values == sorted(values) and values[0] > 0, line
        c = redis.Redis(port=t.port)
        assert not any(k.startswith("latency_percentiles") for k in c.info())
        c.config_set("latency-tracking-info-percentiles", "50 90")
        line = c.info("latencystats")["latency_percentiles_usec_incrby"]
        assert set(line) == {"p50", "p90"}, line
        c.config_resetstat()
        assert set(c.info("latencystats")) <= {"latency_percentiles_usec_config|resetstat"}
        c.config_set("latency-tracking", "no")
        c.incr("n")
        assert c.info("latencystats") == {}


def test_memory_usage():
    with Tallyd() as t, RedisServer() as r:
        for port in (t.port, r.port):
            redis.Redis(port=port).set("k", "v" * 100)
        same(t, r, ("MEMORY", "USAGE", "nosuch"), ("MEMORY", "USAGE", "k", "SAMPLES", "x"),
             ("MEMORY", "USAGE", "k", "SAMPLES", "-1"), ("MEMORY", "USAGE", "k", "FOO"),
             ("MEMORY", "USAGE", "k", "SAMPLES"), ("MEMORY", "USAGE"))
        usage = redis.Redis(port=t.port).memory_usage("k", samples=0)
        assert 101 < usage < 400, usage


def test_redis_cli_tools():
    with Tallyd() as t:
        c = redis.Redis(port=t.port)
        for i in range(60):
            c.set(f"key{i}", "x" * (i * 10))
        c.set("big", "y" * 5000)
        port = ["-p", str(t.port)]
        out = subprocess.run(["redis-cli", *port, "--bigkeys"], capture_output=True, text=True,
                             timeout=60).stdout
        assert "Biggest string found '\"big\"' has 5000 bytes" in out, out
        assert "61 strings with" in out, out
        out = subprocess.run(["redis-cli", *port, "--memkeys"], capture_output=True, text=True,
                             timeout=60).stdout
        m = re.search(r"61 strings with (\d+) bytes", out)
        assert m and int(m.group(1)) > 5000 + 60 * 295, out
        assert "Biggest string found '\"big\"' has" in out, out
        # --latency samples PING until interrupted, then prints min, max, avg, samples.
        p = subprocess.Popen(["redis-cli", *port, "--latency"], stdout=subprocess.PIPE,
                             text=True)
        time.sleep(1.5)
        p.send_signal(signal.SIGINT)
        fields = p.communicate(timeout=10)[0].split()
        assert len(fields) == 4 and int(fields[3]) > 10, fields
        # --stat reads INFO every interval; it prints to a terminal, so give it one.
        out = subprocess.run(["script", "-qec", f"timeout -s INT 1.5 redis-cli -p {t.port} "
                              "--stat -i 0.3", "/dev/null"], capture_output=True, text=True,
                             timeout=30).stdout
        rows = [l.split() for l in out.splitlines() if re.match(r"^\d+\s", l)]
        assert rows and rows[0][0] == "61", out


def monitor_lines(port, send, settle=0.3):
    """Starts a MONITOR connection, runs `send(port)`, returns the lines seen (timestamp and
    client port stripped)."""
    import socket
    m = socket.create_connection(("127.0.0.1", port))
    m.sendall(encode("MONITOR"))
    assert m.recv(5) == b"+OK\r\n"
    send(port)
    time.sleep(settle)
    m.settimeout(0.5)
    data = b""
    try:
        while True:
            chunk = m.recv(65536)
            if not chunk:
                break
            data += chunk
    except OSError:
        pass
    m.close()
    return [re.sub(rb"^\+\d+\.\d{6} \[(\d+) [^\]]+\]", rb"[\1]", l)
            for l in data.split(b"\r\n") if l]


def test_monitor_matches_redis():
    def send(port):
        exchange(port, encode("SET", "a b", 'x"y\n\x01') + encode("SELECT", "2") +
                 encode("INCR", "k") + encode("AUTH", "secret") + encode("CONFIG", "GET", "port") +
                 encode("GET", "nosuch") + encode("NOSUCH"), marker=False, timeout=0.5)
    with Tallyd() as t, RedisServer() as r:
        got, want = monitor_lines(t.port, send), monitor_lines(r.port, send)
        assert got == want, (want, got)
        assert got[0] == b'[0] "SET" "a b" "x\\"y\\n\\x01"', got
        # A second MONITOR on the same connection: no reply, as in Redis.
        for port in (t.port, r.port):
            assert exchange(port, encode("MONITOR") + encode("MONITOR"), marker=False,
                            timeout=0.5) == (b"+OK\r\n", False)


def test_slow_monitor_is_disconnected_and_never_slows_the_server():
    import socket
    with Tallyd(extra=["--client-output-buffer-limit-bytes", "64kb"]) as t:
        m = socket.create_connection(("127.0.0.1", t.port))
        m.sendall(encode("MONITOR"))
        time.sleep(0.2)  # never read: the lines pile up in tallyd
        c = redis.Redis(port=t.port)
        start = time.time()
        p = c.pipeline(transaction=False)
        for i in range(20000):
            p.set(f"key{i}", "v" * 1000)
        p.execute()
        assert time.time() - start < 30
        assert c.dbsize() == 20000
        deadline = time.time() + 10
        while "Closing monitor" not in t.log_text() and time.time() < deadline:
            time.sleep(0.1)
        assert "Closing monitor" in t.log_text()
        m.settimeout(5)
        data = b""
        while True:  # what was sent before, then the end of the connection
            chunk = m.recv(1 << 20)
            if not chunk:
                break
            data += chunk
        assert data.startswith(b"+OK\r\n") and len(data) < 20000 * 1000


if __name__ == "__main__":
    run_tests([
        test_latency_monitor_records_slow_commits,
        test_latency_replies_match_redis,
        test_info_latencystats,
        test_memory_usage,
        test_redis_cli_tools,
        test_monitor_matches_redis,
        test_slow_monitor_is_disconnected_and_never_slows_the_server,
    ])
