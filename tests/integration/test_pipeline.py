"""A pipeline of 10,000 commands in one write gets 10,000 replies, in order."""
import socket

from harness import Tallyd, encode, run_tests


def read_replies(sock, count):
    buf = b""
    while buf.count(b"\r\n") < count:
        chunk = sock.recv(1 << 20)
        assert chunk, "server closed the connection"
        buf += chunk
    return buf.split(b"\r\n")[:count]


def test_ten_thousand_incr_in_one_write():
    with Tallyd() as t:
        payload = b"".join(encode("INCR", "p") for _ in range(10000))
        with socket.create_connection(("127.0.0.1", t.port)) as s:
            s.sendall(payload)
            replies = read_replies(s, 10000)
        assert replies == [b":%d" % i for i in range(1, 10001)]


def test_mixed_inline_and_multibulk_pipeline():
    with Tallyd() as t:
        parts = []
        for i in range(5000):
            parts.append(b"INCR q\r\n" if i % 2 else encode("INCR", "q"))
        with socket.create_connection(("127.0.0.1", t.port)) as s:
            s.sendall(b"".join(parts))
            replies = read_replies(s, 5000)
        assert replies == [b":%d" % i for i in range(1, 5001)]


if __name__ == "__main__":
    run_tests([test_ten_thousand_incr_in_one_write, test_mixed_inline_and_multibulk_pipeline])
