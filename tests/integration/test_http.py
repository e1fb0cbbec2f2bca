"""The HTTP API: every endpoint with Python's requests and curl, success and error paths, auth,
keep-alive and pipelining, the reply barrier, and the same counters seen over RESP."""
import base64
import json
import socket
import subprocess
import time

import redis
import requests

from harness import Tallyd, exchange, run_tests


def raw(port, data, timeout=3.0):
    """Sends raw bytes to the HTTP port; returns (everything read until close/timeout, closed)."""
    return exchange(port, data, marker=False, timeout=timeout)


def error_of(resp):
    body = resp.json()
    assert set(body) == {"error"}, body
    return body["error"]["code"], body["error"]["message"]


def test_counter_endpoints():
    with Tallyd() as t:
        http = requests.Session()
        r = redis.Redis(port=t.port)
        assert http.post(t.url("/v1/counters/page%3Ahome/incr")).json() == {
            "key": "page:home", "value": 1}
        assert http.post(t.url("/v1/counters/page%3Ahome/incr"), json={"by": 41}).json()["value"] == 42
        assert http.post(t.url("/v1/counters/page%3Ahome/decr"), json={"by": 2}).json()["value"] == 40
        assert http.post(t.url("/v1/counters/page%3Ahome/decr")).json()["value"] == 39
        assert r.get("page:home") == b"39"  # the same keyspace over RESP
        r.incrby("page:home", 11)
        assert http.get(t.url("/v1/counters/page%3Ahome")).json() == {"key": "page:home", "value": 50}
        # Floats.
        assert http.post(t.url("/v1/counters/f/incr"), json={"by_float": "1.5"}).json()["value"] == 1.5
        assert http.post(t.url("/v1/counters/f/decr"), json={"by_float": "0.25"}).json()["value"] == 1.25
        assert r.get("f") == b"1.25"
        # PUT with a TTL, DELETE.
        resp = http.put(t.url("/v1/counters/quota"), json={"value": 10, "ttl_ms": 60000})
        assert resp.status_code == 200 and resp.json() == {"key": "quota", "value": 10}
        assert 59000 < r.pttl("quota") <= 60000
        assert http.put(t.url("/v1/counters/quota"), json={"value": "7"}).status_code == 200
        assert r.pttl("quota") == -1 and r.get("quota") == b"7"
        assert http.delete(t.url("/v1/counters/quota")).json() == {"key": "quota", "deleted": True}
        assert http.delete(t.url("/v1/counters/quota")).status_code == 404
        assert http.get(t.url("/v1/counters/quota")).status_code == 404
        # Keys are any bytes, percent-encoded; a value that is not an integer comes back as text.
        r.set(b"odd/key \xc3\xbc%", b"abc")
        assert http.get(t.url("/v1/counters/odd%2Fkey%20%C3%BC%25")).json() == {
            "key": "odd/key \u00fc%", "value": "abc"}
        r.set(b"bin\xff", b"1")
        assert http.get(t.url("/v1/counters/bin%FF")).json() == {
            "key": {"base64": base64.b64encode(b"bin\xff").decode()}, "value": 1}
        # ?db=n
        http.post(t.url("/v1/counters/k/incr?db=3"), json={"by": 5})
        assert redis.Redis(port=t.port, db=3).get("k") == b"5"
        assert r.get("k") is None
        assert http.get(t.url("/v1/counters/k?db=3")).json()["value"] == 5


def test_listing_pages_through_a_prefix():
    with Tallyd() as t:
        r = redis.Redis(port=t.port)
        for i in range(250):
            r.set(f"user:{i}", i)
        for i in range(20):
            r.set(f"other:{i}", i)
        r.set("user*literal", 1)  # the prefix is not a glob pattern
        seen, cursor, pages = {}, "0", 0
        while True:
            resp = requests.get(t.url("/v1/counters"),
                                params={"prefix": "user:", "cursor": cursor, "limit": 100})
            assert resp.status_code == 200, resp.text
            body = resp.json()
            for c in body["counters"]:
                seen[c["key"]] = c["value"]
            cursor, pages = body["cursor"], pages + 1
            if cursor == "0":
                break
            assert pages < 100
        assert seen == {f"user:{i}": i for i in range(250)}
        assert pages >= 3
        body = requests.get(t.url("/v1/counters"), params={"prefix": "user*"}).json()
        assert [c["key"] for c in body["counters"]] == ["user*literal"]
        assert requests.get(t.url("/v1/counters?limit=0")).status_code == 400


def test_command_endpoint_maps_resp3_to_json():
    with Tallyd() as t:
        def cmd(*args, status=200):
            resp = requests.post(t.url("/v1/command"), json={"args": list(args)})
            assert resp.status_code == status, (args, resp.status_code, resp.text)
            return resp.json()
        assert cmd("PING") == {"result": "PONG"}
        assert cmd("SET", "a", "1") == {"result": "OK"}
        assert cmd("INCRBY", "a", 5) == {"result": 6}
        assert cmd("GET", "missing") == {"result": None}
        assert cmd("MGET", "a", "missing") == {"result": ["6", None]}
        assert cmd("INCRBYFLOAT", "fl", "0.5") == {"result": "0.5"}
        assert cmd("EXISTS", "a", "a") == {"result": 2}
        assert cmd("CONFIG", "GET", "databases") == {"result": {"databases": "16"}}
        assert "redis_version" in cmd("INFO", "server")["result"]
        assert cmd("SCAN", "0")["result"][0] == "0"
        code, msg = error_of(requests.post(t.url("/v1/command"), json={"args": ["NOPE"]}))
        assert code == "ERR" and msg.startswith("ERR unknown command 'NOPE'")
        for refused in (["MULTI"], ["SELECT", "1"], ["HELLO", "3"], ["AUTH", "x"], ["WATCH", "a"]):
            assert cmd(*refused, status=400)["error"]["code"] == "BADREQUEST"
        assert cmd("GET", status=400)["error"]["message"] == \
            "ERR wrong number of arguments for 'get' command"


def test_error_paths():
    with Tallyd() as t:
        r = redis.Redis(port=t.port)
        r.set("text", "abc")
        r.set("big", 2**63 - 1)
        cases = [
            (requests.post(t.url("/v1/counters/text/incr")), 409, "ERR",
             "ERR value is not an integer or out of range"),
            (requests.post(t.url("/v1/counters/text/incr"), json={"by_float": "1"}), 409, "ERR",
             "ERR value is not a valid float"),
            (requests.post(t.url("/v1/counters/big/incr")), 422, "ERR",
             "ERR increment or decrement would overflow"),
            (requests.post(t.url("/v1/counters/x/incr"), data="{nope"), 400, "BADREQUEST",
             "the body is not valid JSON"),
            (requests.post(t.url("/v1/counters/x/incr"), data="[1]"), 400, "BADREQUEST",
             "the body must be a JSON object"),
            (requests.post(t.url("/v1/counters/x/incr"), json={"by": "5"}), 400, "BADREQUEST",
             '"by" must be an integer'),
            (requests.post(t.url("/v1/counters/x/incr"), json={"by": 1.5}), 400, "BADREQUEST",
             '"by" must be an integer'),
            (requests.post(t.url("/v1/counters/x/incr"), json={"by": 2**64}), 400, "BADREQUEST",
             '"by" must be an integer'),
            (requests.post(t.url("/v1/counters/x/incr"), json={"by": 1, "by_float": "1"}), 400,
             "BADREQUEST", 'give "by" or "by_float", not both'),
            (requests.put(t.url("/v1/counters/x"), json={"ttl_ms": 5}), 400, "BADREQUEST",
             '"value" (an integer or a string) is required'),
            (requests.put(t.url("/v1/counters/x"), json={"value": 1, "ttl_ms": -5}), 400,
             "BADREQUEST", '"ttl_ms" must be a positive integer'),
            (requests.get(t.url("/v1/counters/x?db=16")), 400, "BADREQUEST",
             "db must be an integer from 0 to databases-1"),
            (requests.get(t.url("/v1/counters/x")), 404, "NOTFOUND", "no such key"),
            (requests.get(t.url("/v2/anything")), 404, "NOTFOUND", "no such endpoint"),
            (requests.patch(t.url("/v1/counters/x")), 405, "BADREQUEST", "method not allowed"),
            (requests.post(t.url("/v1/command"), json={"args": []}), 400, "BADREQUEST",
             '"args" must be a non-empty array of strings (or integers)'),
        ]
        for resp, status, code, message in cases:
            assert resp.status_code == status, (resp.request.url, resp.status_code, resp.text)
            assert error_of(resp) == (code, message), resp.text
        assert requests.patch(t.url("/v1/counters/x")).headers["Allow"] == "GET, PUT, DELETE"
        buf, _ = raw(t.http_port, b"GET /v1/counters/bad%zz HTTP/1.1\r\n\r\n", timeout=1)
        assert buf.startswith(b"HTTP/1.1 400 ") and b"invalid percent-encoding" in buf, buf
        assert r.get("big") == str(2**63 - 1).encode()  # nothing changed
        assert r.ping()


def test_auth():
    with Tallyd(extra=["--requirepass", "s3cret"]) as t:
        resp = requests.get(t.url("/v1/counters/a"))
        assert resp.status_code == 401
        assert error_of(resp)[0] == "UNAUTHORIZED"
        assert "Basic" in resp.headers["WWW-Authenticate"] or \
            "Bearer" in resp.headers["WWW-Authenticate"]
        assert requests.get(t.url("/metrics")).status_code == 401
        assert requests.get(t.url("/healthz")).status_code == 200  # probes need no password
        bearer = {"Authorization": "Bearer s3cret"}
        assert requests.post(t.url("/v1/counters/a/incr"), headers=bearer).json()["value"] == 1
        assert requests.get(t.url("/v1/counters/a"), auth=("default", "s3cret")).json()["value"] == 1
        assert requests.get(t.url("/v1/counters/a"), auth=("other", "s3cret")).status_code == 401
        assert requests.get(t.url("/v1/counters/a"),
                            headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert requests.get(t.url("/readyz"), headers=bearer).json() == {"status": "ready"}
        # curl, as an operator would call it.
        out = subprocess.run(["curl", "-s", "-u", "default:s3cret", "-X", "POST", "-d",
                              '{"by": 9}', t.url("/v1/counters/a/incr")],
                             capture_output=True, text=True, timeout=30)
        assert json.loads(out.stdout) == {"key": "a", "value": 10}
        assert redis.Redis(port=t.port, password="s3cret").get("a") == b"10"


def test_keepalive_pipelining_and_bad_requests():
    with Tallyd(extra=["--http-max-header-bytes", "2kb", "--http-max-body-bytes", "4kb"]) as t:
        req = (b"POST /v1/counters/p/incr HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"
               b"GET /v1/counters/p HTTP/1.1\r\nHost: x\r\n\r\n"
               b"POST /v1/counters/p/incr HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\n"
               b'{"by": 4}')
        buf, closed = raw(t.http_port, req, timeout=1.5)
        assert not closed
        bodies = [part.split(b"\r\n\r\n", 1)[1] for part in buf.split(b"HTTP/1.1 ")[1:]]
        assert [json.loads(b)["value"] for b in bodies] == [1, 1, 5], buf
        # A malformed request gets 400 and the connection is closed; so does pipelined garbage
        # after a good request (whose answer still arrives).
        buf, closed = raw(t.http_port, b"GARBAGE\r\n\r\n")
        assert buf.startswith(b"HTTP/1.1 400 Bad Request\r\n") and closed, buf
        assert b"Connection: close" in buf
        buf, closed = raw(t.http_port, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n\x00\x01junk\r\n\r\n")
        assert buf.startswith(b"HTTP/1.1 200 OK") and b"HTTP/1.1 400" in buf and closed
        # Limits: headers past 2 KiB -> 431, a body past 4 KiB -> 413 (declared or chunked).
        big = b"GET /healthz HTTP/1.1\r\nX-Big: " + b"a" * 4000 + b"\r\n\r\n"
        buf, closed = raw(t.http_port, big)
        assert buf.startswith(b"HTTP/1.1 431 ") and closed, buf
        buf, closed = raw(t.http_port, b"POST /v1/command HTTP/1.1\r\nContent-Length: 100000\r\n\r\n")
        assert buf.startswith(b"HTTP/1.1 413 ") and closed, buf
        chunked = (b"POST /v1/command HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" +
                   (b"800\r\n" + b"x" * 0x800 + b"\r\n") * 3 + b"0\r\n\r\n")
        buf, closed = raw(t.http_port, chunked)
        assert buf.startswith(b"HTTP/1.1 413 ") and closed, buf
        resp = requests.post(t.url("/v1/command"), data=b'{"args": ["PING"]}\xff')
        assert resp.status_code == 400
        # HTTP/1.0 without keep-alive: answered, then closed.
        buf, closed = raw(t.http_port, b"GET /healthz HTTP/1.0\r\n\r\n")
        assert buf.startswith(b"HTTP/1.1 200 OK") and closed
        assert requests.get(t.url("/v1/counters/p")).json()["value"] == 5  # nobody else harmed


def test_slowloris_is_cut_off_and_others_are_served():
    with Tallyd(extra=["--http-request-timeout", "1"]) as t:
        slow = socket.create_connection(("127.0.0.1", t.http_port))
        slow.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        start = time.monotonic()
        for i in range(5):  # another client is served at once meanwhile
            assert requests.post(t.url("/v1/counters/c/incr")).json()["value"] == i + 1
            slow.sendall(b"X-Drip: 1\r\n")
            time.sleep(0.1)
        slow.settimeout(10)
        closed_at = None
        while closed_at is None:
            try:
                if not slow.recv(1024):
                    closed_at = time.monotonic()
            except ConnectionResetError:
                closed_at = time.monotonic()
        assert 0.9 < closed_at - start < 5, closed_at - start
        slow.close()


def test_response_waits_for_durability():
    delay = 0.4
    with Tallyd(extra=["--debug-commit-delay-ms", str(int(delay * 1000))]) as t:
        requests.post(t.url("/v1/counters/w/incr"))
        start = time.monotonic()
        assert requests.post(t.url("/v1/counters/w/incr")).json()["value"] == 2
        assert time.monotonic() - start >= delay * 0.9
        # A read of the value just written also waits: it reveals it.
        s = socket.create_connection(("127.0.0.1", t.http_port))
        s.sendall(b"POST /v1/counters/w/incr HTTP/1.1\r\nContent-Length: 0\r\n\r\n")
        time.sleep(0.05)
        start = time.monotonic()
        assert requests.get(t.url("/v1/counters/w")).json()["value"] == 3
        assert time.monotonic() - start >= delay * 0.5
        s.close()


def test_maxclients_is_shared_with_resp():
    with Tallyd(extra=["--maxclients", "2"]) as t:
        conns = [socket.create_connection(("127.0.0.1", t.port)) for _ in range(2)]
        for c in conns:
            c.sendall(b"PING\r\n")
            assert c.recv(64) == b"+PONG\r\n"
        resp = requests.get(t.url("/healthz"))
        assert resp.status_code == 503 and error_of(resp)[1] == "max number of clients reached"
        for c in conns:
            c.close()
        for _ in range(50):
            if requests.get(t.url("/healthz")).status_code == 200:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("HTTP never served after RESP clients left")


if __name__ == "__main__":
    run_tests([test_counter_endpoints, test_listing_pages_through_a_prefix,
               test_command_endpoint_maps_resp3_to_json, test_error_paths, test_auth,
               test_keepalive_pipelining_and_bad_requests,
               test_slowloris_is_cut_off_and_others_are_served,
               test_response_waits_for_durability, test_maxclients_is_shared_with_resp])
