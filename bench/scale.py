#!/usr/bin/env python3
"""Scale: load N counters (default 10 million) into tallyd and into redis-server (AOF on, same
fsync policy), then report for each: load time, RSS, on-disk size, and the time from process
start to the first successful reply after a restart (first a crash, SIGKILL right after the load,
so tallyd replays its whole write-ahead log; then a graceful SIGTERM), with the counters checked
after each restart.

  bench/scale.py [--tallyd build-release/tallyd] [--keys 10000000] [--policy everysec]

The counters are counter:0 .. counter:N-1 holding their own index, loaded with pipelined MSETs
of --batch keys. "First successful reply" is a GET answered with the value: while Redis loads its
AOF it answers -LOADING, and tallyd does not listen until its store is open.
"""
import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def read_replies(sock, buf, n):
    """Reads n simple replies (+OK, :n, $n..., -ERR) and returns (replies, rest of buffer)."""
    replies = []
    while len(replies) < n:
        i = buf.find(b"\r\n")
        if i < 0:
            chunk = sock.recv(1 << 20)
            if not chunk:
                raise RuntimeError("connection closed")
            buf += chunk
            continue
        line = buf[:i]
        if line.startswith(b"$") and line != b"$-1":
            size = int(line[1:])
            while len(buf) < i + 2 + size + 2:
                buf += sock.recv(1 << 20)
            replies.append(buf[i + 2:i + 2 + size])
            buf = buf[i + 2 + size + 2:]
        else:
            replies.append(line)
            buf = buf[i + 2:]
    return replies, buf


class Server:
    def __init__(self, kind, policy, tallyd, directory):
        self.kind, self.policy, self.tallyd, self.dir = kind, policy, tallyd, directory
        self.port = free_port()
        self.proc = None

    def start(self):
        if self.kind == "tallyd":
            cmd = [self.tallyd, "--port", str(self.port), "--http-port", "0", "--dir", self.dir, "--appendfsync",
                   self.policy, "--loglevel", "warning"]
        else:
            cmd = ["redis-server", "--port", str(self.port), "--dir", self.dir, "--save", "",
                   "--appendonly", "yes", "--appendfsync", self.policy, "--loglevel", "warning"]
        t0 = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return t0

    def first_reply_seconds(self, t0, key, expect):
        """Seconds from t0 until GET key answers `expect`."""
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.kind} exited with {self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
                    s.sendall(resp("GET", key))
                    (reply,), _ = read_replies(s, b"", 1)
                    if reply == expect:
                        return time.monotonic() - t0
                    if not reply.startswith(b"-LOADING"):
                        raise RuntimeError(f"{self.kind}: GET {key} -> {reply!r}")
            except (ConnectionRefusedError, ConnectionResetError):
                pass
            time.sleep(0.005)

    def rss_mib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        return 0.0

    def disk_mib(self):
        total = 0
        for root, _, files in os.walk(self.dir):
            for name in files:
                try:
                    total += os.path.getsize(os.path.join(root, name))
                except OSError:
                    pass
        return total / (1 << 20)

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        self.proc.wait(timeout=600)


def load(port, keys, batch):
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as s:
        buf = b""
        per_round = 200  # MSETs in flight
        i = 0
        while i < keys:
            cmds = []
            for _ in range(per_round):
                if i >= keys:
                    break
                end = min(i + batch, keys)
                args = [b"MSET"]
                for k in range(i, end):
                    v = str(k).encode()
                    args += [b"counter:" + v, v]
                cmds.append(resp(*args))
                i = end
            s.sendall(b"".join(cmds))
            replies, buf = read_replies(s, buf, len(cmds))
            bad = [r for r in replies if r != b"+OK"]
            if bad:
                raise RuntimeError(f"MSET failed: {bad[0]!r}")
    return time.monotonic() - t0


def command(port, *args):
    with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
        s.sendall(resp(*args))
        (reply,), _ = read_replies(s, b"", 1)
        return reply


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tallyd", default=os.path.join(HERE, "..", "build-release", "tallyd"))
    ap.add_argument("--keys", type=int, default=10_000_000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--policy", default="everysec")
    args = ap.parse_args()

    probe = f"counter:{args.keys // 2}"
    rows = {}
    for kind in ("tallyd", "redis"):
        d = tempfile.mkdtemp(prefix=f"scale-{kind}-", dir=os.environ.get("TMPDIR", "/tmp"))
        srv = Server(kind, args.policy, args.tallyd, d)
        try:
            t0 = srv.start()
            srv.first_reply_seconds(t0, "nothing", b"$-1")
            secs = load(srv.port, args.keys, args.batch)
            if command(srv.port, "DBSIZE") != b":%d" % args.keys:
                raise RuntimeError(f"{kind}: DBSIZE after load is not {args.keys}")
            time.sleep(2)  # let background work (flushes, AOF rewrite) settle before measuring
            r = {"load_s": secs, "rss": srv.rss_mib(), "disk": srv.disk_mib()}
            # A write after the load, so that the restarts must bring it back too.
            if command(srv.port, "INCR", probe) != b":%d" % (args.keys // 2 + 1):
                raise RuntimeError(f"{kind}: INCR {probe} wrong")
            expect = str(args.keys // 2 + 1).encode()
            for label, sig in (("kill", signal.SIGKILL), ("term", signal.SIGTERM)):
                srv.stop(sig)
                t0 = srv.start()
                r[label] = srv.first_reply_seconds(t0, probe, expect)
                r[label + "_rss"] = srv.rss_mib()
                if command(srv.port, "DBSIZE") != b":%d" % args.keys:
                    raise RuntimeError(f"{kind}: DBSIZE after {label} restart is wrong")
            r["disk_after"] = srv.disk_mib()
            rows[kind] = r
            srv.stop()
        finally:
            if srv.proc and srv.proc.poll() is None:
                srv.proc.kill()
            shutil.rmtree(d, ignore_errors=True)

    t, rd = rows["tallyd"], rows["redis"]
    print(f"# {time.strftime('%Y-%m-%d %H:%M')} {os.cpu_count()} cores; {args.keys:,} counters, "
          f"MSET x{args.batch}, appendfsync {args.policy}")
    print("| measure | tallyd | redis | tallyd / redis |")
    print("|---|---|---|---|")
    def line(name, key, unit, fmt="{:,.1f}"):
        a, b = t[key], rd[key]
        print(f"| {name} | {fmt.format(a)} {unit} | {fmt.format(b)} {unit} | {a / b:.2f} |")
    line("load time", "load_s", "s")
    line("RSS after load", "rss", "MiB")
    line("on disk after load", "disk", "MiB")
    line("restart after SIGKILL to first reply", "kill", "s", "{:.3f}")
    line("restart after SIGTERM to first reply", "term", "s", "{:.3f}")
    line("RSS right after restart", "term_rss", "MiB")
    line("on disk at the end", "disk_after", "MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
