#!/usr/bin/env python3
"""Sustained load: random-key writes at the highest load for --seconds (default 300) against
tallyd, in slices of --slice seconds, to see whether throughput sags as the keyspace grows and
whether applying keeps up (the log and the pending bytes stay bounded).

  bench/sustained.py [--tallyd build-release/tallyd] [--seconds 300] [--policy everysec]
                     [--test set] [--pipeline 16]

Each slice runs redis-benchmark (-c 50 -P 16 -r 100000000, so most keys are new) and prints its
requests/s with tallyd's log bytes, pending bytes, checkpoints, RSS and CPU. The last line
compares the median of the last three slices with the median of the first three.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from scale import Server, command  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def info(port):
    reply = command(port, "INFO", "persistence").decode(errors="replace")
    fields = {}
    for line in reply.splitlines():
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k] = v.strip()
    return fields


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    return (int(parts[11]) + int(parts[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tallyd", default=os.path.join(HERE, "..", "build-release", "tallyd"))
    ap.add_argument("--seconds", type=int, default=300)
    ap.add_argument("--slice", type=int, default=15)
    ap.add_argument("--policy", default="everysec")
    ap.add_argument("--test", default="set")
    ap.add_argument("--pipeline", type=int, default=16)
    args = ap.parse_args()
    d = tempfile.mkdtemp(prefix="sustained-", dir=os.environ.get("TMPDIR", "/tmp"))
    srv = Server("tallyd", args.policy, args.tallyd, d)
    rates = []
    try:
        t0 = srv.start()
        srv.first_reply_seconds(t0, "nothing", b"$-1")
        print(f"# {time.strftime('%Y-%m-%d %H:%M')} {args.test} -P {args.pipeline} -c 50 "
              f"-r 100000000, appendfsync {args.policy}, {args.seconds} s in {args.slice} s slices")
        print("| t (s) | req/s | log MiB | pending KiB | checkpoints | RSS MiB | CPU us/req |")
        print("|---|---|---|---|---|---|---|")
        start = time.monotonic()
        requests = 200_000
        while time.monotonic() - start < args.seconds:
            cpu0 = cpu_seconds(srv.proc.pid)
            t = time.monotonic()
            subprocess.run(["redis-benchmark", "-p", str(srv.port), "-t", args.test, "-c", "50",
                            "-P", str(args.pipeline), "-r", "100000000", "-n", str(requests),
                            "-q"], check=True, capture_output=True, timeout=600)
            elapsed = time.monotonic() - t
            rate = requests / elapsed
            cpu = (cpu_seconds(srv.proc.pid) - cpu0) / requests * 1e6
            rates.append(rate)
            i = info(srv.port)
            print(f"| {time.monotonic() - start:.0f} | {rate:,.0f} | "
                  f"{int(i.get('tally_log_bytes', 0)) / (1 << 20):.1f} | "
                  f"{int(i.get('tally_apply_pending_bytes', 0)) / 1024:.0f} | "
                  f"{i.get('tally_checkpoints', '?')} | {srv.rss_mib():.0f} | {cpu:.1f} |",
                  flush=True)
            requests = max(50_000, int(rate * args.slice))
        first = statistics.median(rates[:3])
        last = statistics.median(rates[-3:])
        print(f"\nfirst three slices {first:,.0f} req/s, last three {last:,.0f} req/s: "
              f"{(1 - last / first) * 100:+.1f} % sag; keys {command(srv.port, 'DBSIZE').decode()}")
        srv.stop()
    finally:
        if srv.proc and srv.proc.poll() is None:
            srv.proc.kill()
        shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
