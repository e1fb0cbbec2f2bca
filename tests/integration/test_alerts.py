"""Threshold alerts (issue 13): TALLY.ALERT SET key ABOVE|BELOW n [CHANNEL ch], DEL, LIST, HELP.
A write that moves a counter across a threshold publishes {key, value, threshold, direction,
time} once per crossing on the channel (pub/sub) and on the HTTP event stream GET /v1/events,
which also carries every change of a matching key. Definitions are durable."""
import json
import threading
import time

import redis
import requests

from harness import Tallyd, encode, exchange, run_tests


def messages(p, n, timeout=5):
    out = []
    deadline = time.time() + timeout
    while len(out) < n and time.time() < deadline:
        m = p.get_message(timeout=0.2)
        if m and m["type"] in ("message", "pmessage"):
            out.append((m["channel"].decode(), json.loads(m["data"])))
    return out


def test_edge_triggered_alerts_on_pubsub():
    with Tallyd() as t:
        c = redis.Redis(port=t.port)
        p = redis.Redis(port=t.port).pubsub()
        p.subscribe("tally:alerts", "low")
        p.get_message(timeout=2)
        p.get_message(timeout=2)
        assert c.execute_command("TALLY.ALERT", "SET", "stock", "BELOW", 10, "CHANNEL", "low") == b"OK"
        assert c.execute_command("TALLY.ALERT", "SET", "quota", "ABOVE", "100") == b"OK"
        c.set("stock", 50)           # 0 -> 50: no crossing of BELOW 10
        c.incrby("quota", 60)        # 0 -> 60
        c.incrby("quota", 60)        # 60 -> 120: crosses ABOVE 100
        c.incrby("quota", 60)        # stays above: no second message
        c.decrby("stock", 45)        # 50 -> 5: crosses BELOW 10
        c.decrby("stock", 1)         # stays below
        c.set("quota", 0)            # back under 100 ...
        c.execute_command("INCREX", "quota", "BYINT", 150)  # ... and over again: one more
        got = messages(p, 3)
        assert [(ch, m["key"], m["value"], m["threshold"], m["direction"]) for ch, m in got] == [
            ("tally:alerts", "quota", 120, 100, "above"),
            ("low", "stock", 5, 10, "below"),
            ("tally:alerts", "quota", 150, 100, "above")], got
        assert all(abs(m["time"] / 1000 - time.time()) < 10 and m["db"] == 0 for _, m in got)
        assert messages(p, 1, timeout=0.5) == []
        # MULTI/EXEC: each write inside is checked; the messages come after EXEC is durable.
        c.set("quota", 0)
        with c.pipeline(transaction=True) as pipe:
            pipe.incrby("quota", 99).incrby("quota", 2).incrbyfloat("quota", -50)
            pipe.execute()
        got = messages(p, 1)
        assert [(m["key"], m["value"]) for _, m in got] == [("quota", 101)], got
        # Another database has its own alerts.
        c1 = redis.Redis(port=t.port, db=1)
        c1.incrby("quota", 500)
        assert messages(p, 1, timeout=0.5) == []
        p.close()


def test_definitions_commands_and_durability():
    with Tallyd() as t:
        c = redis.Redis(port=t.port, decode_responses=True)
        alert = lambda *a: c.execute_command("TALLY.ALERT", *a)  # noqa: E731
        alert("SET", "a", "ABOVE", 5)
        alert("SET", "a", "above", "5", "CHANNEL", "x")  # same threshold: channel replaced
        alert("SET", "a", "BELOW", "-1.5")
        alert("SET", "b:1", "ABOVE", 0)
        assert sorted(alert("LIST")) == [["a", "above", "5", "x"], ["a", "below", "-1.5",
                                                                     "tally:alerts"],
                                         ["b:1", "above", "0", "tally:alerts"]]
        assert alert("LIST", "b:*") == [["b:1", "above", "0", "tally:alerts"]]
        assert alert("DEL", "a", "BELOW", "-1.5") == 1
        assert alert("DEL", "a", "BELOW", "-1.5") == 0
        assert alert("DEL", "nothing") == 0
        for args, text in [(("SET", "k", "ABOVE", "x"), "value is not a valid float"),
                           (("SET", "k", "ABOVE", "inf"), "value is not a valid float"),
                           (("SET", "k", "OVER", "1"), "syntax error"),
                           (("SET", "k", "ABOVE", "1", "CHANNEL"), "syntax error"),
                           (("SET", "k", "ABOVE", "1", "X", "y"), "syntax error"),
                           (("DEL", "k", "ABOVE"), "syntax error"),
                           (("LIST", "a", "b"), "syntax error")]:
            try:
                alert(*args)
                raise AssertionError(f"{args} did not fail")
            except redis.ResponseError as e:
                assert str(e) == text, (args, str(e))
        raw, _ = exchange(t.port, encode("TALLY.ALERT", "SET", "k"))
        assert raw == b"-ERR wrong number of arguments for 'tally.alert|set' command\r\n", raw
        raw, _ = exchange(t.port, encode("TALLY.ALERT", "NOPE"))
        assert raw.startswith(b"-ERR unknown subcommand 'NOPE'. Try TALLY.ALERT HELP."), raw
        assert len(alert("HELP")) >= 8
        # Not keys: invisible to DBSIZE and SCAN, kept by FLUSHALL, durable across SIGKILL.
        assert c.dbsize() == 0
        c.flushall()
        t.kill()
        t.start()
        c = redis.Redis(port=t.port, decode_responses=True)
        assert sorted(c.execute_command("TALLY.ALERT", "LIST")) == [
            ["a", "above", "5", "x"], ["b:1", "above", "0", "tally:alerts"]]
        p = redis.Redis(port=t.port).pubsub()
        p.subscribe("x")
        p.get_message(timeout=2)
        c.incrby("a", 10)
        assert [m["key"] for _, m in messages(p, 1)] == ["a"]


def test_event_stream():
    with Tallyd() as t:
        c = redis.Redis(port=t.port)
        c.execute_command("TALLY.ALERT", "SET", "page:home", "ABOVE", 2)
        events = []
        ready = threading.Event()

        def listen():
            with requests.get(t.url("/v1/events?keys=page:*"), stream=True, timeout=10) as r:
                assert r.status_code == 200
                assert r.headers["Content-Type"] == "text/event-stream"
                ready.set()
                name = None
                for line in r.iter_lines(chunk_size=1, decode_unicode=True):
                    if line.startswith("event: "):
                        name = line[7:]
                    elif line.startswith("data: "):
                        events.append((name, json.loads(line[6:])))
                        if len(events) == 5:
                            return

        th = threading.Thread(target=listen)
        th.start()
        assert ready.wait(5)
        time.sleep(0.2)
        c.incr("page:home")
        c.incr("other")  # not matching: not sent
        c.incrby("page:home", 4)
        c.set("page:about", "x")
        c.delete("page:about")
        th.join(timeout=10)
        assert [(n, e["key"], e["value"]) for n, e in events] == [
            ("change", "page:home", 1), ("change", "page:home", 5), ("alert", "page:home", 5),
            ("change", "page:about", "x"), ("change", "page:about", None)], events
        assert events[2][1]["threshold"] == 2 and events[2][1]["direction"] == "above"
        assert requests.post(t.url("/v1/events")).status_code == 405


if __name__ == "__main__":
    run_tests([test_edge_triggered_alerts_on_pubsub, test_definitions_commands_and_durability,
               test_event_stream])
