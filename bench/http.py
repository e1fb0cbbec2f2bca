#!/usr/bin/env python3
"""HTTP load: wrk doing POST /v1/counters/<key>/incr on random keys (1M) and on a hot set (10)
against tallyd's HTTP API, against the service it replaces (bench/http_reference: Flask +
redis-py under gunicorn, in front of redis-server with appendfsync always), and tallyd's own
RESP INCR (redis-benchmark) at the same concurrency, all in one run.

  bench/http.py [--tallyd build-release/tallyd] [--seconds 10] [--connections 50]
                [--workers 4]

Prints requests/s, p50/p99 latency and, for tallyd, CPU time per request. Needs wrk, gunicorn,
python3-flask, redis-server, redis-benchmark (Debian packages).
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from compare import cpu_seconds, free_port, wait_ready  # noqa: E402

LUA = """
local keys = %d
request = function()
  return wrk.format("POST", "/v1/counters/k" .. math.random(1, keys) .. "/incr")
end
"""


def wait_http(port):
    for _ in range(400):
        try:
            out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                  f"http://127.0.0.1:{port}/v1/counters/x"], capture_output=True,
                                 text=True, timeout=5).stdout
            if out in ("200", "404"):
                return
        except subprocess.TimeoutExpired:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"HTTP server on {port} not ready")


def wrk(port, keys, seconds, connections, tmp):
    script = os.path.join(tmp, f"incr{keys}.lua")
    with open(script, "w") as f:
        f.write(LUA % keys)
    out = subprocess.run(["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
                          script, f"http://127.0.0.1:{port}"], capture_output=True, text=True,
                         timeout=seconds + 60).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    lat = dict(re.findall(r"\s+(50|99)%\s+([\d.]+\w+)", out))
    return rps, total, lat.get("50", "?"), lat.get("99", "?"), int(non2xx.group(1)) if non2xx else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tallyd", default="build-release/tallyd")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=50)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="tally-httpbench-")
    procs = []
    try:
        port, http_port = free_port(), free_port()
        tallyd = subprocess.Popen([os.path.abspath(args.tallyd), "--port", str(port), "--http-port",
                                   str(http_port), "--dir", os.path.join(tmp, "tally"),
                                   "--appendfsync", "always"],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(tallyd)
        rport, ref_port = free_port(), free_port()
        os.makedirs(os.path.join(tmp, "redis"))
        procs.append(subprocess.Popen(["redis-server", "--port", str(rport), "--dir",
                                       os.path.join(tmp, "redis"), "--save", "", "--appendonly",
                                       "yes", "--appendfsync", "always"],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        wait_ready(port)
        wait_ready(rport)
        env = dict(os.environ, REDIS_PORT=str(rport))
        procs.append(subprocess.Popen(["gunicorn", "-w", str(args.workers), "-b",
                                       f"127.0.0.1:{ref_port}", "--chdir",
                                       os.path.join(HERE, "http_reference"), "app:app"],
                                      env=env, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        wait_http(http_port)
        wait_http(ref_port)
        print(f"# {time.strftime('%Y-%m-%d %H:%M')} wrk -t2 -c{args.connections} "
              f"-d{args.seconds}s; reference: gunicorn -w {args.workers} Flask + redis-py, "
              "redis-server appendfsync always; tallyd appendfsync always")
        print("| load | keys | req/s | p50 | p99 | non-2xx | tallyd CPU us/req |")
        print("|---|---|---|---|---|---|---|")
        results = {}
        for keys in (1000000, 10):
            for name, p in (("tallyd HTTP", http_port), ("Flask+redis reference", ref_port)):
                cpu0 = cpu_seconds(tallyd.pid)
                rps, total, p50, p99, bad = wrk(p, keys, args.seconds, args.connections, tmp)
                cpu = (cpu_seconds(tallyd.pid) - cpu0) * 1e6 / total if name.startswith("tallyd") else None
                results[(name, keys)] = rps
                print(f"| {name} | {keys} | {rps:,.0f} | {p50} | {p99} | {bad} | "
                      f"{'' if cpu is None else f'{cpu:.1f}'} |", flush=True)
            cpu0 = cpu_seconds(tallyd.pid)
            n = int(results[("tallyd HTTP", keys)] * args.seconds)
            out = subprocess.run(["redis-benchmark", "-p", str(port), "-t", "incr", "-c",
                                  str(args.connections), "-r", str(keys), "-n", str(n), "-q",
                                  "--csv"], capture_output=True, text=True, timeout=600).stdout
            rps = float(out.strip().splitlines()[-1].split(",")[1].strip('"'))
            cpu = (cpu_seconds(tallyd.pid) - cpu0) * 1e6 / n
            results[("tallyd RESP", keys)] = rps
            print(f"| tallyd RESP INCR (redis-benchmark) | {keys} | {rps:,.0f} | | | | {cpu:.1f} |",
                  flush=True)
        for keys in (1000000, 10):
            h = results[("tallyd HTTP", keys)]
            print(f"\nkeys {keys}: tallyd HTTP / reference = "
                  f"{h / results[('Flask+redis reference', keys)]:.1f}x; "
                  f"tallyd HTTP / tallyd RESP = {h / results[('tallyd RESP', keys)]:.2f}")
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
