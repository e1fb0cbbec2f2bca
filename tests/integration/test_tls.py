"""TLS (tls-port and the tls-* options) with real clients: redis-cli --tls, redis-py ssl=True,
raw ssl sockets. Certificates are made for the run with Debian's openssl. Checks client
certificates (tls-auth-clients yes/optional/no), TLS only (port 0), both ports at once on the
same data, a plaintext client on the TLS port (closed, nobody else harmed), tls-protocols,
start-up errors with Redis's texts, pub/sub and MONITOR over TLS (reads and writes at once on
one TLS stream), CONFIG SET tls-* at run time, and the reply bytes against Debian's
redis-server 7.0 over TLS."""
import os
import socket
import ssl
import subprocess
import tempfile
import threading
import time

import redis

from harness import TALLYD, RedisServer, Tallyd, encode, exchange, free_port, run_tests

CERTS = tempfile.mkdtemp(prefix="tally-tls-")


def sh(*args):
    subprocess.run(args, cwd=CERTS, check=True, capture_output=True)


def make_certs():
    """A CA, a server certificate for localhost/127.0.0.1, a client certificate from that CA,
    and a client certificate from another CA (not trusted)."""
    for ca in ("ca", "other-ca"):
        sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key",
           "-out", f"{ca}.crt", "-subj", f"/CN={ca}", "-days", "30")
    with open(os.path.join(CERTS, "san.ext"), "w") as f:
        f.write("subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    for name, ca in (("server", "ca"), ("client", "ca"), ("stranger", "other-ca"),
                     ("server2", "other-ca")):
        sh("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out",
           f"{name}.csr", "-subj", f"/CN={name}")
        sh("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey",
           f"{ca}.key", "-CAcreateserial", "-out", f"{name}.crt", "-days", "30", "-extfile",
           "san.ext")
    # An encrypted copy of the server key, for tls-key-file-pass.
    sh("openssl", "pkey", "-in", "server.key", "-out", "server-enc.key", "-aes256", "-passout",
       "pass:s3cret")


def path(name):
    return os.path.join(CERTS, name)


def tls_options(auth="yes", extra=()):
    return ["--tls-cert-file", path("server.crt"), "--tls-key-file", path("server.key"),
            "--tls-ca-cert-file", path("ca.crt"), "--tls-auth-clients", auth] + list(extra)


def client_context(cert="client", max_version=None, trust="ca"):
    ctx = ssl.create_default_context(cafile=path(f"{trust}.crt"))
    if cert:
        ctx.load_cert_chain(path(f"{cert}.crt"), path(f"{cert}.key"))
    if max_version:
        ctx.maximum_version = max_version
    return ctx


def tls_socket(port, cert="client", max_version=None, timeout=5, trust="ca"):
    raw = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return client_context(cert, max_version, trust).wrap_socket(raw, server_hostname="localhost")


def tls_ping(port, trust="ca"):
    with tls_socket(port, trust=trust) as s:
        s.sendall(b"PING\r\n")
        return s.recv(16)


def tls_exchange(port, data, expect_end, timeout=5):
    """Sends `data` over TLS, reads until the bytes end with `expect_end`; returns them."""
    with tls_socket(port, timeout=timeout) as s:
        s.sendall(data)
        buf = b""
        deadline = time.time() + timeout
        while not buf.endswith(expect_end) and time.time() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        return buf


def py_client(port, cert="client", **kw):
    extra = {"ssl_certfile": path(f"{cert}.crt"), "ssl_keyfile": path(f"{cert}.key")} if cert else {}
    return redis.Redis(port=port, ssl=True, ssl_ca_certs=path("ca.crt"), socket_timeout=5,
                       **extra, **kw)


def wait_tls_ready(port, proc, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"tallyd exited with {proc.returncode}")
        try:
            with tls_socket(port, timeout=1) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16) == b"+PONG\r\n":
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("tallyd's TLS port never answered")


class TlsTallyd(Tallyd):
    """tallyd with a plain port (or none: plain=False) and a TLS port."""

    def __init__(self, auth="yes", plain=True, extra=()):
        self.tls_port = free_port()
        super().__init__(extra=tls_options(auth, extra) + ["--tls-port", str(self.tls_port)])
        self.plain = plain
        if not plain:
            self.port = 0

    def start(self):
        if self.plain:
            super().start()
        else:
            self.log = open(self.log_path, "ab")
            self.proc = subprocess.Popen(self.command(), stdout=self.log,
                                         stderr=subprocess.STDOUT, cwd=self.dir)
        wait_tls_ready(self.tls_port, self.proc)
        return self


def redis_cli(port, *args, cert="client"):
    cmd = ["redis-cli", "-p", str(port), "--tls", "--cacert", path("ca.crt")]
    if cert:
        cmd += ["--cert", path(f"{cert}.crt"), "--key", path(f"{cert}.key")]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=20)


def test_redis_cli_and_redis_py_share_data_with_the_plain_port():
    with TlsTallyd() as t:
        assert redis_cli(t.tls_port, "SET", "k", "from-tls").stdout.strip() == "OK"
        assert redis_cli(t.tls_port, "INCRBY", "n", "41").stdout.strip() == "41"
        plain = redis.Redis(port=t.port)
        assert plain.get("k") == b"from-tls"
        assert plain.incr("n") == 42
        r = py_client(t.tls_port)
        assert r.get("n") == b"42"
        big = os.urandom(3 << 20)  # larger than TLS records and the read chunk
        r.set("big", big)
        assert plain.get("big") == big and r.get("big") == big
        pipe = r.pipeline(transaction=False)
        for i in range(2000):
            pipe.incr("piped")
        assert pipe.execute()[-1] == 2000
        assert r.execute_command("CLIENT", "LIST").count(b"id=") >= 2


def test_client_certificates_follow_tls_auth_clients():
    with TlsTallyd(auth="yes") as t:
        for cert in (None, "stranger"):  # none, or one from a CA tallyd does not trust
            try:
                py_client(t.tls_port, cert=cert).ping()
                raise AssertionError(f"connected with client certificate {cert}")
            except redis.ConnectionError:
                pass
        assert "PONG" not in redis_cli(t.tls_port, "PING", cert=None).stdout
        assert py_client(t.tls_port).ping()
    with TlsTallyd(auth="optional") as t:
        assert py_client(t.tls_port, cert=None).ping()
        assert py_client(t.tls_port).ping()
        try:
            py_client(t.tls_port, cert="stranger").ping()
            raise AssertionError("an untrusted certificate was accepted with optional")
        except redis.ConnectionError:
            pass
    with TlsTallyd(auth="no") as t:
        assert redis_cli(t.tls_port, "PING", cert=None).stdout.strip() == "PONG"


def test_tls_only_with_port_0_and_an_encrypted_key():
    extra = ["--tls-key-file", path("server-enc.key"), "--tls-key-file-pass", "s3cret"]
    with TlsTallyd(plain=False, extra=extra) as t:
        r = py_client(t.tls_port)
        assert r.incr("only-tls") == 1
        assert "tls-port" in t.log_text() and "ready: port 0," in t.log_text()
        assert r.config_get("port") == {"port": "0"}
        assert r.config_get("tls-port") == {"tls-port": str(t.tls_port)}
        t.restart()
        assert py_client(t.tls_port).get("only-tls") == b"1"


def test_a_plaintext_client_on_the_tls_port_is_closed_and_harms_nobody():
    with TlsTallyd() as t:
        r = py_client(t.tls_port)
        r.set("x", "1")
        sub = py_client(t.tls_port).pubsub()
        sub.subscribe("ch")
        assert sub.get_message(timeout=5)["type"] == "subscribe"
        for payload in (encode("PING"), b"PING\r\n", b"\x16\x03\x01\x00\x05hello", os.urandom(4096)):
            with socket.create_connection(("127.0.0.1", t.tls_port), timeout=5) as s:
                s.sendall(payload)
                try:
                    got = s.recv(100)
                except ConnectionResetError:
                    got = b""
                assert not got.startswith((b"+", b"-", b"$")), got  # no RESP reply, closed
        # A client that connects and sends nothing does not hold anyone up either.
        idle = socket.create_connection(("127.0.0.1", t.tls_port), timeout=5)
        assert r.incr("x") == 2
        assert r.publish("ch", "still here") == 1
        msg = sub.get_message(timeout=5)
        assert msg and msg["data"] == b"still here", msg
        idle.close()
        assert t.proc.poll() is None


def test_pubsub_and_monitor_over_tls():
    with TlsTallyd() as t:
        sub = py_client(t.tls_port).pubsub()
        sub.psubscribe("news.*")
        assert sub.get_message(timeout=5)["type"] == "psubscribe"
        pub = py_client(t.tls_port)
        payload = os.urandom(200_000)  # several TLS records per message
        for i in range(50):
            assert pub.publish(f"news.{i}", payload if i % 10 == 0 else str(i)) == 1
        got = []
        while len(got) < 50:
            m = sub.get_message(timeout=5)
            assert m is not None, f"only {len(got)} messages"
            got.append(m)
        assert [m["channel"] for m in got] == [f"news.{i}".encode() for i in range(50)]
        assert got[0]["data"] == payload and got[1]["data"] == b"1"
        mon = tls_socket(t.tls_port)
        mon.sendall(encode("MONITOR"))
        assert mon.recv(5) == b"+OK\r\n"
        pub.set("watched", "1")
        line = b""
        while b"watched" not in line:
            line += mon.recv(4096)
        assert b'"set" "watched" "1"' in line.lower()
        mon.close()


def test_tls_protocols():
    with TlsTallyd(extra=["--tls-protocols", "TLSv1.3"]) as t:
        assert py_client(t.tls_port).ping()
        try:
            tls_socket(t.tls_port, max_version=ssl.TLSVersion.TLSv1_2).sendall(b"PING\r\n")
            raise AssertionError("a TLSv1.2-only client got through tls-protocols TLSv1.3")
        except (ssl.SSLError, ConnectionResetError):
            pass
    with TlsTallyd(extra=["--tls-protocols", "TLSv1.2"]) as t:
        with tls_socket(t.tls_port) as s:
            assert s.version() == "TLSv1.2"


def start_failure(args):
    d = tempfile.mkdtemp(prefix="tally-tls-bad-")
    out = subprocess.run([TALLYD, "--dir", d, "--port", str(free_port()), "--http-port", "0",
                          "--tls-port", str(free_port())] + args, capture_output=True,
                         text=True, timeout=30)
    assert out.returncode != 0, out
    return out.stdout + out.stderr


def test_bad_tls_settings_stop_start_up_with_redis_texts():
    base = tls_options("no")
    cases = [
        (["--tls-cert-file", path("nope.crt")], "Failed to load certificate: " + path("nope.crt")),
        (["--tls-key-file", path("ca.key")], "Failed to load private key: " + path("ca.key")),
        (["--tls-key-file", path("server-enc.key"), "--tls-key-file-pass", "wrong"],
         "Failed to load private key"),
        (["--tls-auth-clients", "yes", "--tls-ca-cert-file", ""],
         "Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, "
         "tls-replication or tls-auth-clients are enabled!"),
        (["--tls-protocols", "SSLv3"], "Invalid tls-protocols specified"),
        (["--tls-ciphers", "NO-SUCH-CIPHER"], "Failed to configure ciphers"),
    ]
    for extra, text in cases:
        out = start_failure(base + extra)
        assert text in out and "Failed to configure TLS" in out, (extra, out)
    d = tempfile.mkdtemp(prefix="tally-tls-bad-")
    out = subprocess.run([TALLYD, "--dir", d, "--port", "0", "--http-port", "0"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "Configured to not listen anywhere, exiting." in (
        out.stdout + out.stderr)


DIFF = [
    encode("PING"), encode("SET", "a", "1"), encode("INCR", "a"), encode("GET", "a"),
    encode("INCR", "nope", "x"), encode("NOSUCH"), encode("EXISTS", "a", "b"), encode("GET", "a"),
    encode("CONFIG", "GET", "tls-auth-clients"), encode("CONFIG", "GET", "tls-protocols"),
    encode("SUBSCRIBE", "c"), encode("PING"), encode("UNSUBSCRIBE"), encode("ECHO", "end"),
]


def test_differential_against_redis_over_tls():
    redis_port = free_port()
    replies = []
    rs = RedisServer(extra=["--tls-port", str(redis_port)] + tls_options("yes"))
    with rs, TlsTallyd() as t:
        wait_tls_ready(redis_port, rs.proc)
        for port in (redis_port, t.tls_port):
            replies.append(tls_exchange(port, b"".join(DIFF), b"$3\r\nend\r\n"))
    assert replies[0] == replies[1], replies
    assert replies[1].endswith(b"$3\r\nend\r\n")


def test_config_set_tls_swaps_the_context_for_new_clients():
    """CONFIG SET tls-cert-file + tls-key-file (one command, as a rotation does) gives new TLS
    clients the new certificate; a connection made before keeps its own; a refused change
    (a file that is not there, a key that does not match) leaves everything as it was."""
    with TlsTallyd() as t:
        old = tls_socket(t.tls_port)
        old.sendall(b"PING\r\n")
        assert old.recv(16) == b"+PONG\r\n"
        r = redis.Redis(port=t.port, socket_timeout=5)
        for args in (("tls-cert-file", "/nonexistent.crt"),
                     ("tls-cert-file", path("server2.crt")),  # the old key does not match it
                     ("tls-key-file", path("server.key"), "tls-cert-file", path("server2.crt"))):
            try:
                r.execute_command("CONFIG", "SET", *args)
                raise AssertionError(f"CONFIG SET {args} was accepted")
            except redis.ResponseError as e:
                assert str(e) == ("CONFIG SET failed (possibly related to argument "
                                  f"'{args[0]}') - Unable to update TLS configuration. "
                                  "Check server logs."), str(e)
            assert r.config_get("tls-cert-file") == {"tls-cert-file": path("server.crt")}
            assert r.config_get("tls-key-file") == {"tls-key-file": path("server.key")}
            assert tls_ping(t.tls_port) == b"+PONG\r\n"
        assert r.execute_command("CONFIG", "SET", "tls-cert-file", path("server2.crt"),
                                 "tls-key-file", path("server2.key")) in (b"OK", "OK", True)
        assert tls_ping(t.tls_port, trust="other-ca") == b"+PONG\r\n"
        try:
            tls_ping(t.tls_port, trust="ca")
            raise AssertionError("a client trusting only the old CA got through")
        except ssl.SSLCertVerificationError:
            pass
        old.sendall(b"INCR n\r\n")
        assert old.recv(16) == b":1\r\n"
        old.close()
        # Clients now need no certificate: the context is rebuilt with the new rule.
        assert r.config_set("tls-auth-clients", "no")
        with tls_socket(t.tls_port, cert=None, trust="other-ca") as s:
            s.sendall(b"GET n\r\n")
            assert s.recv(16) == b"$1\r\n1\r\n"
        assert t.proc.poll() is None


CONFIG_DIFF = [
    encode("CONFIG", "SET", "tls-cert-file", "/nonexistent.crt"),
    encode("CONFIG", "GET", "tls-cert-file"),
    encode("CONFIG", "SET", "tls-ciphers", "NO-SUCH-CIPHER"),
    encode("CONFIG", "GET", "tls-ciphers"),
    encode("CONFIG", "SET", "tls-protocols", "TLSv1.2", "tls-protocols", "TLSv1.3"),
    encode("CONFIG", "SET", "maxclients", "77", "timeout", "abc"),
    encode("CONFIG", "GET", "maxclients"),
    encode("CONFIG", "SET", "maxclients", "78", "timeout", "5"),
    encode("CONFIG", "GET", "maxclients"),
    encode("CONFIG", "GET", "timeout"),
    encode("CONFIG", "SET", "tls-protocols", "TLSv1.2"),
    encode("CONFIG", "GET", "tls-protocols"),
]


def test_config_set_differential_against_redis():
    """The same CONFIG SETs to redis-server 7.0 (with a TLS port) and to tallyd: refused TLS
    changes, a duplicate parameter, all-or-nothing across parameters, bytes compared."""
    replies = []
    rs = RedisServer(extra=["--tls-port", str(free_port())] + tls_options("yes"))
    with rs, TlsTallyd() as t:
        for port in (rs.port, t.port):
            replies.append(exchange(port, b"".join(CONFIG_DIFF))[0])
    assert replies[0] == replies[1], replies
    assert b"Unable to update TLS configuration" in replies[1]


if __name__ == "__main__":
    make_certs()
    run_tests([
        test_redis_cli_and_redis_py_share_data_with_the_plain_port,
        test_client_certificates_follow_tls_auth_clients,
        test_tls_only_with_port_0_and_an_encrypted_key,
        test_a_plaintext_client_on_the_tls_port_is_closed_and_harms_nobody,
        test_pubsub_and_monitor_over_tls,
        test_tls_protocols,
        test_bad_tls_settings_stop_start_up_with_redis_texts,
        test_differential_against_redis_over_tls,
        test_config_set_tls_swaps_the_context_for_new_clients,
        test_config_set_differential_against_redis,
    ])
