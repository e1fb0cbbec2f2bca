"""The reply barrier (appendfsync always): with the commit held back by the test-only
debug-commit-delay-ms hook, no reply to a write, and no reply to a read of a value that is not
yet durable, arrives before the commit finishes; replies then arrive in order. (Only "not
before" is asserted: a slow machine can only make replies later.)"""
import socket
import threading
import time

import redis

from harness import Tallyd, encode, run_tests

DELAY = 0.4


def read_replies(sock, n):
    buf = b""
    while buf.count(b"\r\n") < n:
        chunk = sock.recv(4096)
        assert chunk, "closed"
        buf += chunk
    return buf


def test_write_and_dependent_read_wait_for_the_commit():
    with Tallyd(extra=["--debug-commit-delay-ms", str(int(DELAY * 1000))]) as t:
        r = redis.Redis(port=t.port)
        r.set("k", 0)  # slow too, but done before we measure
        durable_before = r.info("persistence")["tally_durable_lsn"]
        results = {}

        def writer():
            with socket.create_connection(("127.0.0.1", t.port)) as s:
                start = time.monotonic()
                s.sendall(encode("INCR", "k"))
                results["write"] = (read_replies(s, 1), time.monotonic() - start)

        def reader():
            time.sleep(0.05)  # the INCR has run (in memory) but is not durable yet
            with socket.create_connection(("127.0.0.1", t.port)) as s:
                start = time.monotonic() - 0.05
                s.sendall(encode("GET", "k"))
                results["read"] = (read_replies(s, 2), time.monotonic() - start)

        threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert results["write"][0] == b":1\r\n"
        assert results["read"][0] == b"$1\r\n1\r\n"
        assert results["write"][1] >= DELAY * 0.9, results
        assert results["read"][1] >= DELAY * 0.9, results
        assert r.info("persistence")["tally_durable_lsn"] > durable_before


def test_pipelined_replies_come_in_order_after_the_commit():
    with Tallyd(extra=["--debug-commit-delay-ms", str(int(DELAY * 1000))]) as t:
        with socket.create_connection(("127.0.0.1", t.port)) as s:
            start = time.monotonic()
            s.sendall(b"".join(encode("INCR", "p") for _ in range(5)) + encode("GET", "p"))
            data = read_replies(s, 7)
            elapsed = time.monotonic() - start
        assert data == b":1\r\n:2\r\n:3\r\n:4\r\n:5\r\n$1\r\n5\r\n"
        assert elapsed >= DELAY * 0.9


def test_read_of_durable_value_does_not_wait():
    # The control: with the same delay, reading a value that is already durable needs no
    # commit at all (PING and GET of an old key come back without waiting for the delay).
    with Tallyd(extra=["--debug-commit-delay-ms", "3000"]) as t:
        with socket.create_connection(("127.0.0.1", t.port)) as s:
            start = time.monotonic()
            s.sendall(encode("GET", "never-written") + b"PING\r\n")
            assert read_replies(s, 2) == b"$-1\r\n+PONG\r\n"
            assert time.monotonic() - start < 2.5


if __name__ == "__main__":
    run_tests([test_write_and_dependent_read_wait_for_the_commit,
               test_pipelined_replies_come_in_order_after_the_commit,
               test_read_of_durable_value_does_not_wait])
