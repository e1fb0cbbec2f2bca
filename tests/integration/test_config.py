"""Start-up options and lifecycle: a config file with command-line overrides, a bad option
stopping start-up with a message naming it, CONFIG SET at run time, graceful stops (SIGTERM,
SIGINT, SHUTDOWN) exiting 0, and the idle timeout."""
import os
import signal
import socket
import subprocess
import time

import redis

from harness import TALLYD, Tallyd, free_port, run_tests, wait_ready

HERE = os.path.dirname(os.path.abspath(__file__))
CONF = os.path.join(HERE, "..", "..", "conf", "tally.conf")


def test_bad_options_stop_startup():
    for args, word in [(["--port", "abc"], "port"), (["--appendfsync", "sometimes"], "appendfsync"),
                       (["--nosuchoption", "1"], "nosuchoption"), (["--databases", "0"], "databases")]:
        out = subprocess.run([TALLYD] + args, capture_output=True, text=True, timeout=30)
        assert out.returncode != 0, args
        assert word in out.stderr, (args, out.stderr)


def test_config_file_with_overrides(tmp=None):
    import tempfile
    d = tempfile.mkdtemp(prefix="tally-conf-")
    port = free_port()
    conf = os.path.join(d, "t.conf")
    with open(CONF) as src, open(conf, "w") as dst:
        dst.write(src.read())
        dst.write(f"\nport 1\ndir {d}\nappendfsync everysec\n")
    proc = subprocess.Popen([TALLYD, conf, "--port", str(port), "--http-port", "0"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_ready(port, proc)
        r = redis.Redis(port=port)
        assert r.config_get("appendfsync") == {"appendfsync": "everysec"}
        assert r.config_get("port") == {"port": str(port)}
        assert r.info("persistence")["appendfsync"] == "everysec"
        r.config_set("appendfsync", "always")
        assert r.info("persistence")["appendfsync"] == "always"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_graceful_stops_exit_zero():
    with Tallyd() as t:
        redis.Redis(port=t.port).incr("x")
        assert t.stop(signal.SIGTERM) == 0
        assert "bye" in t.log_text()
        t.start()
        r = redis.Redis(port=t.port)
        assert r.get("x") == b"1"
        try:
            r.shutdown()
        except redis.exceptions.ConnectionError:
            pass
        assert t.proc.wait(timeout=30) == 0


def test_banner_and_dir():
    with Tallyd() as t:
        deadline = time.time() + 10  # the port may accept a moment before the line is written
        log = t.log_text()
        while "ready" not in log and time.time() < deadline:
            time.sleep(0.05)
            log = t.log_text()
        assert "ready" in log and str(t.port) in log and "appendfsync always" in log, log
        assert os.path.isdir(os.path.join(t.dir, "db"))


def test_io_threads_default_leaves_a_core():
    # io-threads 0 (the default): one per core less one, for the commit and apply threads.
    with Tallyd() as t:
        assert redis.Redis(port=t.port).info()["io_threads"] == max(1, os.cpu_count() - 1)
    with Tallyd(extra=["--io-threads", "3"]) as t:
        assert redis.Redis(port=t.port).info()["io_threads"] == 3


def test_idle_timeout():
    with Tallyd(extra=["--timeout", "1"]) as t:
        s = socket.create_connection(("127.0.0.1", t.port))
        s.settimeout(5)
        start = time.time()
        assert s.recv(10) == b""  # closed by the server, no reply
        assert time.time() - start < 4


def test_test_config_help_and_version():
    import tempfile
    out = subprocess.run([TALLYD, "--test-config", CONF], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0 and "is OK" in out.stdout, out
    d = tempfile.mkdtemp(prefix="tally-conf-")
    bad = os.path.join(d, "bad.conf")
    with open(bad, "w") as f:
        f.write("port 7000\n# a comment\nappendfsync sometimes\n")
    out = subprocess.run([TALLYD, "--test-config", bad], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode != 0
    assert "line 3" in out.stderr and "appendfsync sometimes" in out.stderr, out.stderr
    # Overrides are checked too.
    out = subprocess.run([TALLYD, "--test-config", CONF, "--port", "x"], capture_output=True,
                         text=True, timeout=30)
    assert out.returncode != 0 and "port" in out.stderr
    out = subprocess.run([TALLYD, "--help"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "--test-config" in out.stdout
    assert "  --http-port 7379\n" in out.stdout and "  --appendfsync always\n" in out.stdout
    out = subprocess.run([TALLYD, "--version"], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and out.stdout.startswith("tallyd v=")


def test_sighup_reopens_the_log_file():
    with Tallyd() as t:
        log = os.path.join(t.dir, "tally.log")
        t.extra = ["--logfile", log]
        t.restart()
        deadline = time.time() + 10
        while "ready" not in open(log).read() and time.time() < deadline:
            time.sleep(0.05)
        os.rename(log, log + ".1")  # as logrotate does
        t.proc.send_signal(signal.SIGHUP)
        while not os.path.exists(log) and time.time() < deadline:
            time.sleep(0.05)
        while "log file reopened" not in open(log).read() and time.time() < deadline:
            time.sleep(0.05)
        assert "log file reopened" in open(log).read()
        assert "ready" in open(log + ".1").read()
        assert redis.Redis(port=t.port).ping()  # still serving
        assert t.stop(signal.SIGTERM) == 0
        assert "bye" in open(log).read()

def test_config_rewrite_keeps_comments_and_order_like_redis():
    """The same file (options both servers know, comments, a duplicate) rewritten by redis-server
    and by tallyd after the same CONFIG SETs: the part Redis keeps of the file is the same byte
    for byte; tallyd's additions come after the signature and the file starts tallyd again
    with the values that were set."""
    import tempfile
    from harness import REDIS_SERVER
    body = ("# Tally and Redis both read this.\n\ntimeout 0\n# the log level\nloglevel notice\n"
            "maxclients 10000\n\n# keep me\nslowlog-max-len 128\nslowlog-max-len 64\n")
    files, procs = [], []
    try:
        for server in ("redis", "tally"):
            d = tempfile.mkdtemp(prefix="tally-rewrite-")
            conf = os.path.join(d, "server.conf")
            open(conf, "w").write(body)
            port = free_port()
            cmd = ([REDIS_SERVER, conf, "--port", str(port), "--dir", d, "--save", ""]
                   if server == "redis" else
                   [TALLYD, conf, "--port", str(port), "--http-port", "0", "--dir", d])
            procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.DEVNULL, cwd=d))
            wait_ready(port, procs[-1])
            r = redis.Redis(port=port)
            r.config_set("timeout", 30)
            r.config_set("maxclients", 500)
            r.config_set("slowlog-log-slower-than", 5000)  # not in the file: appended
            assert r.config_rewrite()
            files.append((open(conf).read(), conf, port))
        (redis_text, _, _), (tally_text, conf, port) = files
        sig = "# Generated by CONFIG REWRITE\n"
        assert redis_text.split(sig)[0] == tally_text.split(sig)[0], (redis_text, tally_text)
        kept = tally_text.split(sig)[0]
        assert "timeout 30\n" in kept and "maxclients 500\n" in kept
        assert kept.count("slowlog-max-len") == 1 and "# keep me\n" in kept
        added = tally_text.split(sig)[1]
        assert "slowlog-log-slower-than 5000\n" in added and f"port {port}\n" in added
        assert "appendfsync" not in added  # defaults are not added
        # A second rewrite changes nothing (but the blank line Redis's splitting adds at the
        # end); the file starts tallyd with the values set.
        r = redis.Redis(port=port)
        assert r.config_rewrite() and open(conf).read().rstrip("\n") == tally_text.rstrip("\n")
        procs[1].send_signal(signal.SIGTERM)
        assert procs[1].wait(timeout=30) == 0
        procs[1] = subprocess.Popen([TALLYD, conf], stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, cwd=os.path.dirname(conf))
        wait_ready(port, procs[1])
        assert r.config_get("maxclients") == {"maxclients": "500"}
        assert r.config_get("slowlog-log-slower-than") == {"slowlog-log-slower-than": "5000"}
    finally:
        for p in procs:
            p.kill()
            p.wait()
    # Without a config file: Redis's error.
    with Tallyd() as t:
        try:
            redis.Redis(port=t.port).config_rewrite()
            raise AssertionError("CONFIG REWRITE without a file succeeded")
        except redis.ResponseError as e:
            assert str(e) == "The server is running without a config file", e


if __name__ == "__main__":
    run_tests([test_bad_options_stop_startup, test_config_file_with_overrides,
               test_graceful_stops_exit_zero, test_banner_and_dir, test_io_threads_default_leaves_a_core,
               test_idle_timeout,
               test_test_config_help_and_version, test_sighup_reopens_the_log_file,
               test_config_rewrite_keeps_comments_and_order_like_redis])
