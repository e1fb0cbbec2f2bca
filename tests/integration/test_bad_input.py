"""Bad input never hurts: a declared 512 MiB bulk does not allocate 512 MiB up front; a client
whose replies pass the output buffer limit is cut off, and one that pipelines without reading
holds only a bounded buffer; a connection reset in the middle of a command harms nobody else."""
import socket
import struct
import threading
import time

import redis

from harness import Tallyd, encode, run_tests


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_huge_declared_bulk_allocates_nothing_up_front():
    with Tallyd() as t:
        before = rss_kib(t.proc.pid)
        with socket.create_connection(("127.0.0.1", t.port)) as s:
            s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n" + b"x" * 1000)
            time.sleep(0.5)
            assert rss_kib(t.proc.pid) - before < 64 * 1024  # far below 512 MiB
        assert redis.Redis(port=t.port).ping()


def test_output_buffer_limit_cuts_off_a_huge_reply():
    with Tallyd(extra=["--client-output-buffer-limit-bytes", "1mb"]) as t:
        r = redis.Redis(port=t.port)
        r.set("big", "x" * 300_000)
        with socket.create_connection(("127.0.0.1", t.port)) as s:
            s.sendall(encode("MGET", *(["big"] * 10)))  # one 3 MB reply
            s.settimeout(10)
            got = b""
            while True:
                chunk = s.recv(1 << 16)
                if not chunk:
                    break
                got += chunk
            assert len(got) < 3_000_000  # closed instead of sending it
        assert r.get("big") is not None  # the server and other clients are fine


def test_pipelining_without_reading_is_bounded():
    with Tallyd() as t:
        r = redis.Redis(port=t.port)
        r.set("v", "x" * 10_000)
        before = rss_kib(t.proc.pid)
        s = socket.create_connection(("127.0.0.1", t.port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.setblocking(False)
        payload = encode("GET", "v") * 20_000  # 200 MB of replies if all were produced
        sent = 0
        deadline = time.time() + 3
        while sent < len(payload) and time.time() < deadline:
            try:
                sent += s.send(payload[sent:sent + 65536])
            except BlockingIOError:
                time.sleep(0.01)
        time.sleep(0.5)
        assert rss_kib(t.proc.pid) - before < 64 * 1024
        assert r.incr("other") == 1  # another client is served meanwhile
        s.close()


def test_connection_reset_mid_command_harms_nobody():
    with Tallyd() as t:
        r = redis.Redis(port=t.port)
        stop = threading.Event()
        acked = [0]

        def worker():
            c = redis.Redis(port=t.port)
            while not stop.is_set():
                c.incr("safe")
                acked[0] += 1

        th = threading.Thread(target=worker)
        th.start()
        for _ in range(50):
            s = socket.create_connection(("127.0.0.1", t.port))
            s.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nhal")  # cut in the middle
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()  # RST
        stop.set()
        th.join()
        assert int(r.get("safe")) == acked[0]
        assert r.get("k") is None


if __name__ == "__main__":
    run_tests([test_huge_declared_bulk_allocates_nothing_up_front,
               test_output_buffer_limit_cuts_off_a_huge_reply,
               test_pipelining_without_reading_is_bounded,
               test_connection_reset_mid_command_harms_nobody])
