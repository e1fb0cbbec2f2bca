#!/usr/bin/env python3
"""Side-by-side benchmark: tallyd against Debian's redis-server 7.0 with matching durability,
in the same run, on the same machine.

  tallyd appendfsync always    vs  redis-server appendonly yes, appendfsync always
  tallyd appendfsync everysec  vs  redis-server appendonly yes, appendfsync everysec

Load comes from redis-benchmark (-c 50 -r 1000000 by default). The servers alternate
(A B A B ...) for --rounds rounds; for each test it prints the median requests/s of each, the
ratio tallyd/redis, p50/p99 latency (ms), and each server's CPU time per request (user+system,
from /proc/<pid>/stat) in microseconds.

  bench/compare.py [--tallyd build-release/tallyd] [--rounds 3] [--requests 200000]
                   [--tests incr,set,get,mset,incr:10] [--pipeline 1,16]
                   [--policies always,everysec]

A test written test:N uses -r N instead: incr:10 is the hot-key case, 50 clients on 10 counters.
The test "window" is not one of redis-benchmark's: it runs python3-limits' moving-window script
(LINDEX, LPUSH, LTRIM, EXPIRE on a list of hit times, limit 100 per 60 s) with EVAL on a random
key, as an app rate-limiting its users does; window:1000 keeps 1,000 lists of up to 100 hits.
Before a GET test, each server is loaded with an unmeasured SET run of the same size, so that
GET finds keys (about 18% of a 1M keyspace with the defaults), as after real use; then both get
a DBSIZE, which tallyd answers once its applier has written those SETs to RocksDB (Redis at
once), so that GET's figures are of reads, not of the tail of the SETs' apply (until
2026-12-03 that tail fell inside the GET run and its CPU was counted against GET).
"""
import argparse
import csv
import io
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def wait_ready(port):
    for _ in range(400):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server not ready")


class Server:
    def __init__(self, kind, policy, tallyd):
        self.kind, self.policy = kind, policy
        self.dir = tempfile.mkdtemp(prefix=f"bench-{kind}-")
        self.port = free_port()
        if kind == "tallyd":
            cmd = [tallyd, "--port", str(self.port), "--http-port", "0", "--dir", self.dir, "--appendfsync", policy,
                   "--loglevel", "warning"]
        else:
            cmd = ["redis-server", "--port", str(self.port), "--dir", self.dir, "--save", "",
                   "--appendonly", "yes", "--appendfsync", policy, "--loglevel", "warning"]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_ready(self.port)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


# python3-limits 2.8's acquire_moving_window.lua (limits/resources/redis/lua_scripts).
MOVING_WINDOW = """local amount = tonumber(ARGV[4])
local entry = redis.call('lindex', KEYS[1], tonumber(ARGV[2]) - amount)
local timestamp = tonumber(ARGV[1])
local expiry = tonumber(ARGV[3])
if entry and tonumber(entry) >= timestamp - expiry then
    return false
end
local limit = tonumber(ARGV[2])
local entries= {}
for i=1, amount do
    entries[i] = timestamp
end
redis.call('lpush', KEYS[1], unpack(entries))
redis.call('ltrim', KEYS[1], 0, limit - 1)
redis.call('expire', KEYS[1], expiry)
return true"""


def run_benchmark(port, test, requests, clients, keyspace, pipeline):
    cmd = ["redis-benchmark", "-p", str(port), "-n", str(requests), "-c", str(clients),
           "-r", str(keyspace), "-P", str(pipeline), "--csv"]
    if test == "window":
        cmd += ["EVAL", MOVING_WINDOW, "1", "window:__rand_int__", str(int(time.time())), "100",
                "60", "1"]
    else:
        cmd[1:1] = ["-t", test]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if out.returncode != 0:
        raise RuntimeError(out.stderr + out.stdout)
    rows = list(csv.reader(io.StringIO(out.stdout)))
    header, data = rows[0], rows[1]
    row = dict(zip(header, data))
    return float(row["rps"]), float(row["p50_latency_ms"]), float(row["p99_latency_ms"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tallyd", default=os.path.join(HERE, "..", "build-release", "tallyd"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--keyspace", type=int, default=1000000)
    ap.add_argument("--tests", default="incr,set,get,mset,incr:10")
    ap.add_argument("--pipeline", default="1,16")
    ap.add_argument("--policies", default="always,everysec")
    args = ap.parse_args()

    print(f"# {time.strftime('%Y-%m-%d %H:%M')} {os.uname().nodename} {os.cpu_count()} cores; "
          f"redis-benchmark -c {args.clients} -r {args.keyspace} -n {args.requests}; "
          f"{args.rounds} rounds, alternating")
    print("| policy | test | -P | tallyd rps | redis rps | ratio | tallyd p50/p99 ms | "
          "redis p50/p99 ms | tallyd CPU us/req | redis CPU us/req |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for policy in args.policies.split(","):
        for pipeline in [int(p) for p in args.pipeline.split(",")]:
            for spec in args.tests.split(","):
                test, _, space = spec.partition(":")
                keyspace = int(space) if space else args.keyspace
                results = {"tallyd": [], "redis": []}
                for _ in range(args.rounds):
                    for kind in ("tallyd", "redis"):
                        s = Server(kind, policy, args.tallyd)
                        try:
                            if test == "get":
                                run_benchmark(s.port, "set", args.requests, args.clients,
                                              keyspace, pipeline)
                                # GET measures reads: the same DBSIZE to both servers returns
                                # once tallyd has applied the SETs to RocksDB (Redis at once),
                                # so the applier's work on them is not counted against GET.
                                subprocess.run(["redis-cli", "-p", str(s.port), "DBSIZE"],
                                               capture_output=True, timeout=600, check=True)
                            before = cpu_seconds(s.proc.pid)
                            rps, p50, p99 = run_benchmark(s.port, test, args.requests,
                                                          args.clients, keyspace, pipeline)
                            cpu = cpu_seconds(s.proc.pid) - before
                            results[kind].append((rps, p50, p99, cpu / args.requests * 1e6))
                        finally:
                            s.stop()
                med = {k: sorted(v)[len(v) // 2] for k, v in results.items()}
                t, r = med["tallyd"], med["redis"]
                name = test.upper() + (f" (-r {space})" if space else "")
                print(f"| {policy} | {name} | {pipeline} | {t[0]:,.0f} | {r[0]:,.0f} | "
                      f"{t[0] / r[0]:.2f} | {t[1]:.2f}/{t[2]:.2f} | {r[1]:.2f}/{r[2]:.2f} | "
                      f"{t[3]:.1f} | {r[3]:.1f} |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
