"""HTTP API in operation: HTTP and RESP clients on the same counters at once, every
acknowledged HTTP increment surviving SIGKILL, /metrics checked by promtool and scraped by a
real Prometheus, /readyz after the log fails."""
import os
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.parse

import redis
import requests

from harness import Tallyd, free_port, run_tests

CLIENTS = 20
INCREMENTS = 500


def test_mixed_protocols_exact_total_and_sigkill():
    with Tallyd() as t:
        acked = {"http": 0, "resp": 0}
        lock = threading.Lock()
        errors = []

        def http_client(i):
            try:
                s = requests.Session()
                for _ in range(INCREMENTS):
                    key = "shared" if _ % 2 == 0 else f"h{i}"
                    resp = s.post(t.url(f"/v1/counters/{key}/incr"))
                    assert resp.status_code == 200, resp.text
                    with lock:
                        acked["http"] += 1
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        def resp_client(i):
            try:
                r = redis.Redis(port=t.port)
                for _ in range(INCREMENTS):
                    r.incr("shared" if _ % 2 == 0 else f"r{i}")
                    with lock:
                        acked["resp"] += 1
            except Exception as e:  # noqa: BLE001
                errors.append(repr(e))

        threads = [threading.Thread(target=http_client, args=(i,)) for i in range(CLIENTS)]
        threads += [threading.Thread(target=resp_client, args=(i,)) for i in range(CLIENTS)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors, errors[:3]
        assert acked == {"http": CLIENTS * INCREMENTS, "resp": CLIENTS * INCREMENTS}
        half = INCREMENTS // 2
        expect = {"shared": 2 * CLIENTS * half}
        expect.update({f"h{i}": half for i in range(CLIENTS)})
        expect.update({f"r{i}": half for i in range(CLIENTS)})

        def check():
            for key, n in expect.items():
                resp = requests.get(t.url(f"/v1/counters/{key}"))
                assert resp.json()["value"] == n, (key, resp.text)
        check()
        # Every acknowledged increment is on disk: SIGKILL, no shutdown, and they are all back.
        t.kill()
        t.start()
        check()
        assert redis.Redis(port=t.port).dbsize() == 1 + 2 * CLIENTS


def test_metrics_promtool_and_prometheus_scrape():
    with Tallyd(extra=["--requirepass", "pw"]) as t:
        r = redis.Redis(port=t.port, password="pw")
        for _ in range(7):
            r.execute_command("INCR", "m")  # redis-py's incr() sends INCRBY
        requests.post(t.url("/v1/counters/m/incr"), auth=("default", "pw"))
        requests.post(t.url("/v1/counters/bad%20key/incr"), auth=("default", "pw"),
                      json={"by": 1})
        r.set("s", "x")
        try:
            r.execute_command("INCR", "s")
        except redis.ResponseError:
            pass
        body = requests.get(t.url("/metrics"), auth=("default", "pw")).text
        check = subprocess.run(["promtool", "check", "metrics"], input=body, text=True,
                               capture_output=True, timeout=60)
        assert check.returncode == 0, check.stdout + check.stderr
        assert 'tally_commands_total{command="incr"} 8' in body  # 7 + the one that failed
        assert 'tally_commands_total{command="incrby"} 2' in body  # the HTTP increments
        assert 'tally_command_errors_total{command="incr"} 1' in body
        assert 'tally_keys{db="0"} 3' in body
        assert 'tally_request_duration_seconds_count{protocol="http"}' in body
        assert 'tally_fsync_duration_seconds_bucket{le="+Inf"}' in body

        # A real Prometheus scrapes it (with the password) and answers a query.
        d = tempfile.mkdtemp(prefix="tally-prom-")
        prom_port = free_port()
        with open(os.path.join(d, "prometheus.yml"), "w") as f:
            f.write(f"""
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: tally
    basic_auth:
      username: default
      password: pw
    static_configs:
      - targets: ["127.0.0.1:{t.http_port}"]
""")
        prom = subprocess.Popen(
            ["prometheus", f"--config.file={d}/prometheus.yml", f"--storage.tsdb.path={d}/data",
             f"--web.listen-address=127.0.0.1:{prom_port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            query = urllib.parse.quote('tally_commands_total{command="incr"}')
            value = None
            deadline = time.time() + 60
            while time.time() < deadline and value is None:
                time.sleep(0.5)
                try:
                    resp = requests.get(f"http://127.0.0.1:{prom_port}/api/v1/query?query={query}",
                                        timeout=5).json()
                except requests.RequestException:
                    continue
                results = resp.get("data", {}).get("result", [])
                if results:
                    value = results[0]["value"][1]
            assert value == "8", value
        finally:
            prom.terminate()
            prom.wait(timeout=30)
            shutil.rmtree(d, ignore_errors=True)


def test_readyz_and_503_after_the_log_fails():
    # tallyd on a 4 MiB tmpfs (its own mount namespace): writes fill it, the log fails with
    # ENOSPC (fail-stop), writes then get 503 with Redis's MISCONF text, /readyz says 503,
    # /healthz still answers 200.
    d = tempfile.mkdtemp(prefix="tally-enospc-")
    port, http_port = free_port(), free_port()
    tallyd = os.environ["TALLYD"]
    proc = subprocess.Popen(
        ["unshare", "-m", "sh", "-c",
         f"mount -t tmpfs -o size=4m tmpfs {d} && exec {tallyd} --port {port} "
         f"--http-port {http_port} --dir {d} --log-segment-size 256kb"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{http_port}"
    try:
        for _ in range(200):
            try:
                if requests.get(base + "/readyz", timeout=1).json() == {"status": "ready"}:
                    break
            except requests.RequestException:
                time.sleep(0.05)
        else:
            raise AssertionError("tallyd did not start")
        r = redis.Redis(port=port)
        for i in range(200):
            try:
                r.set(f"k{i}", "x" * 100000)
            except redis.RedisError:
                break
        else:
            raise AssertionError("the disk never filled")
        resp = requests.post(base + "/v1/counters/c/incr")
        assert resp.status_code == 503, resp.text
        assert resp.json()["error"]["code"] == "MISCONF"
        resp = requests.get(base + "/readyz")
        assert resp.status_code == 503 and resp.json()["error"]["code"] == "UNAVAILABLE"
        assert requests.get(base + "/healthz").status_code == 200
    finally:
        proc.kill()
        proc.wait()
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    run_tests([test_mixed_protocols_exact_total_and_sigkill,
               test_metrics_promtool_and_prometheus_scrape,
               test_readyz_and_503_after_the_log_fails])
