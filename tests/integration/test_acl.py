"""ACL users against Debian's redis-server 7.0: the same ACL SETUSER rules, AUTH/HELLO and
denied commands on both, the reply bytes compared (NOPERM texts, rule errors, GETUSER, DRYRUN,
GENPASS/LOG/SAVE errors, script errors); ACL LOG's fields; AUTH user pass from redis-py and
ioredis; requirepass as the default user's password; the aclfile across a restart; a deleted
user's connections closed; CLIENT LIST/KILL by user; MULTI with a denied command."""
import os
import socket
import subprocess
import tempfile
import time

import redis

from harness import HERE, REDIS_SERVER, TALLYD, RedisServer, Tallyd, encode, exchange, free_port, install_npm, run_tests

NODE_DIR = os.path.join(HERE, "..", "..", "build", "node-acl")
NODE_PACKAGES = {"ioredis5": "ioredis@5.11.1"}

SETUP = [
    # Rule errors, in Redis's words.
    ["ACL", "SETUSER", "eve", "foo"], ["ACL", "SETUSER", "eve", "+nosuch"],
    ["ACL", "SETUSER", "eve", "+@nosuch"], ["ACL", "SETUSER", "eve", "~*", "~x"],
    ["ACL", "SETUSER", "eve", "&*", "&x"], ["ACL", "SETUSER", "eve", "#abc"],
    ["ACL", "SETUSER", "eve", "<nopw"], ["ACL", "SETUSER", "eve", "+client|nosuch"],
    ["ACL", "SETUSER", "eve", "%X~a"], ["ACL", "SETUSER", "eve", "%~a"],
    ["ACL", "SETUSER", "eve", "!" + "a" * 64], ["ACL", "GETUSER", "eve"],
    # Users whose rules describe the same way on both.
    ["ACL", "SETUSER", "alice", "on", ">pw", "~cnt:*", "%R~ro:*", "%W~wo:*", "&news.*", "+@read",
     "-get"],
    ["ACL", "SETUSER", "bob", "on", "#" + "0123456789abcdef" * 4, ">b", "allkeys", "allchannels",
     "+@all", "-@dangerous"],
    ["ACL", "SETUSER", "carol", "on", "nopass", "~*", "+incr", "&c1", "&p.*"],
    ["ACL", "SETUSER", "dan", "reset"], ["ACL", "SETUSER", "alice", "<pw", ">pw2", ">pw"],
    ["ACL", "SETUSER", "erin", "skip-sanitize-payload", "+@all", "-@dangerous"],
    ["ACL", "GETUSER", "alice"], ["ACL", "GETUSER", "bob"], ["ACL", "GETUSER", "carol"],
    ["ACL", "GETUSER", "dan"], ["ACL", "GETUSER", "default"], ["ACL", "GETUSER", "nobody"],
    ["ACL", "GETUSER", "erin"], ["ACL", "LIST"], ["ACL", "USERS"], ["ACL", "WHOAMI"],
    # Rules for several single commands are listed in Redis 7.0's hash order: not compared.
    ["ACL", "SETUSER", "carol", "+publish", "+subscribe", "+psubscribe", "+eval",
     "+client|setname"],
    ["ACL", "DELUSER", "default"], ["ACL", "DELUSER", "nobody", "dan"], ["ACL", "USERS"],
    ["ACL", "CAT", "nosuch"], ["ACL", "GENPASS", "0"], ["ACL", "GENPASS", "x"],
    ["ACL", "GENPASS", "5000"], ["ACL", "LOG", "x"], ["ACL", "SAVE"], ["ACL", "LOAD"],
    ["ACL", "NOSUCH"], ["ACL", "HELP"], ["ACL"],
    ["ACL", "DRYRUN", "nobody", "get", "a"], ["ACL", "DRYRUN", "alice", "nosuch"],
    ["ACL", "DRYRUN", "alice", "get"], ["ACL", "DRYRUN", "alice", "get", "cnt:1"],
    ["ACL", "DRYRUN", "alice", "mget", "cnt:1", "ro:1", "other"],
    ["ACL", "DRYRUN", "alice", "set", "cnt:1", "1"], ["ACL", "DRYRUN", "carol", "publish", "x", "m"],
    ["ACL", "DRYRUN", "carol", "publish", "c1", "m"], ["ACL", "DRYRUN", "bob", "flushall"],
    # Logging in and out, and what each may do.
    ["AUTH", "alice", "wrong"], ["AUTH", "nobody", "x"], ["AUTH", "a", "b", "c"],
    ["AUTH", "alice", "pw"], ["ACL", "WHOAMI"], ["MGET", "cnt:1", "ro:1"], ["GET", "cnt:1"],
    ["STRLEN", "wo:1"], ["INCR", "cnt:1"], ["SET", "cnt:1", "5"], ["EXISTS", "other"],
    ["LMPOP", "2", "cnt:1", "other", "LEFT"], ["LMPOP", "1", "ro:1", "LEFT"],
    ["ACL", "DRYRUN", "alice", "lmpop", "2", "cnt:1", "cnt:2", "LEFT"],
    ["RPUSH", "cnt:l", "a"], ["LMOVE", "cnt:l", "other", "LEFT", "LEFT"],
    ["PUBLISH", "news.x", "m"], ["CLIENT", "SETNAME", "x"], ["FLUSHALL"],
    ["AUTH", "carol", "anything"], ["INCR", "k"], ["SET", "k", "1"], ["PUBLISH", "c1", "m"],
    ["PUBLISH", "c2", "m"], ["CLIENT", "SETNAME", "x"], ["CLIENT", "GETNAME"],
    ["EVAL", "return redis.call('get', 'k')", "0"],
    ["EVAL", "return redis.pcall('get', 'k')", "0"],
    ["EVAL", "return redis.call('incr', 'k')", "1", "k"],
    ["EVAL", "return redis.call('publish', 'nope', 'm')", "0"],
    ["MULTI"], ["INCR", "k"], ["GET", "k"], ["EXEC"],
    ["AUTH", "bob", "b"], ["FLUSHALL"], ["INCR", "anything"],
    ["HELLO", "2", "AUTH", "alice", "bad"], ["AUTH", "default", "x"],
    ["ACL", "WHOAMI"], ["ACL", "DELUSER", "alice", "bob", "carol"],
]


def test_replies_match_redis_byte_for_byte():
    outs = []
    for server in (RedisServer(), Tallyd()):
        with server:
            data = b"".join(encode(*c) for c in SETUP)
            got, closed = exchange(server.port, data, timeout=10)
            outs.append(got)
    assert outs[0] == outs[1], "\n".join(
        f"{c}\n  redis:  {a!r}\n  tallyd: {b!r}" for c, a, b in zip(
            SETUP, split_replies(outs[0]), split_replies(outs[1])) if a != b)


def split_replies(data):
    """The replies in `data`, one per command, as bytes (RESP2)."""
    out, pos = [], 0

    def skip(pos):
        line_end = data.index(b"\r\n", pos)
        kind, body = data[pos:pos + 1], data[pos + 1:line_end]
        pos = line_end + 2
        if kind == b"$":
            n = int(body)
            return pos + n + 2 if n >= 0 else pos
        if kind == b"*":
            for _ in range(max(int(body), 0)):
                pos = skip(pos)
        return pos

    while pos < len(data):
        end = skip(pos)
        out.append(data[pos:end])
        pos = end
    return out


def log_fields(port):
    r = redis.Redis(port=port, decode_responses=True)
    r.execute_command("ACL", "SETUSER", "u", "on", ">p", "~k*", "&c*", "+get", "+eval",
                      "+publish", "+multi", "+exec")
    u = redis.Redis(port=port, username="u", password="p", decode_responses=True)
    for call in (lambda: u.set("k", "1"), lambda: u.get("x"), lambda: u.publish("d", "m"),
                 lambda: u.eval("return redis.call('get', 'x')", 0),
                 lambda: redis.Redis(port=port, username="u", password="bad").ping(),
                 lambda: u.get("x")):
        try:
            call()
        except (redis.ResponseError, redis.AuthenticationError):
            pass
    pipe = u.pipeline()
    pipe.get("x")
    try:
        pipe.execute()
    except redis.exceptions.RedisError:
        pass
    entries = r.execute_command("ACL", "LOG")
    keep = ("count", "reason", "context", "object", "username")
    rows = []
    for e in entries:
        e = dict(zip(e[0::2], e[1::2]))
        assert float(e["age-seconds"]) < 30 and "user=" in e["client-info"], e
        rows.append({k: e[k] for k in keep})
    assert r.execute_command("ACL", "LOG", "RESET") == "OK"
    assert r.execute_command("ACL", "LOG") == []
    return rows


def test_acl_log_matches_redis():
    rows = []
    for server in (RedisServer(), Tallyd()):
        with server:
            rows.append(log_fields(server.port))
    assert rows[0] == rows[1], rows
    assert {r["reason"] for r in rows[1]} == {"command", "key", "channel", "auth"}
    assert {r["context"] for r in rows[1]} == {"toplevel", "lua", "multi"}


def test_auth_from_redis_py_and_ioredis():
    install_npm(NODE_DIR, NODE_PACKAGES)
    with Tallyd() as t:
        admin = redis.Redis(port=t.port)
        admin.acl_setuser("app", enabled=True, passwords=["+s3cret"], keys=["app:*"],
                          commands=["+@read", "+@write", "+ping", "+hello", "+auth",
                                    "+client|setinfo", "+client|setname", "+info", "+acl|whoami", "+echo"])
        r = redis.Redis(port=t.port, username="app", password="s3cret")
        assert r.incr("app:n") == 1 and r.acl_whoami() in (b"app", "app")
        try:
            r.incr("other")
            raise AssertionError("a key outside app:* was written")
        except redis.exceptions.NoPermissionError:
            pass
        try:
            redis.Redis(port=t.port, username="app", password="nope").ping()
            raise AssertionError("a wrong password was accepted")
        except (redis.AuthenticationError, redis.ResponseError):
            pass
        got, _ = exchange(t.port, encode("HELLO", "3", "AUTH", "app", "s3cret") +
                          encode("INCR", "app:n"))
        assert got.startswith(b"%7\r\n") and got.endswith(b":2\r\n"), got
        script = """
const Redis = require('ioredis5');
const r = new Redis({ port: +process.argv[1], username: 'app', password: 's3cret',
                      lazyConnect: true, maxRetriesPerRequest: 0 });
(async () => {
  await r.connect();
  const n = await r.incr('app:n');
  let denied = '';
  try { await r.incr('other'); } catch (e) { denied = e.message; }
  console.log(JSON.stringify({ n, denied, who: await r.call('ACL', 'WHOAMI') }));
  r.disconnect();
})().catch((e) => { console.error(e); process.exit(1); });
"""
        out = subprocess.run(["node", "-e", script, str(t.port)], capture_output=True, text=True,
                             timeout=60,
                             env=dict(os.environ, NODE_PATH=os.path.join(NODE_DIR, "node_modules")))
        assert out.returncode == 0, out.stderr
        assert '"n":3' in out.stdout and '"who":"app"' in out.stdout, out.stdout
        assert "NOPERM this user has no permissions to access one of the keys" in out.stdout


def test_requirepass_is_the_default_users_password():
    with Tallyd(extra=["--requirepass", "top"]) as t:
        got, _ = exchange(t.port, encode("GET", "a") + encode("AUTH", "default", "top") +
                          encode("ACL", "WHOAMI") + encode("GET", "a"))
        assert got == b"-NOAUTH Authentication required.\r\n+OK\r\n$7\r\ndefault\r\n$-1\r\n", got
        r = redis.Redis(port=t.port, password="top")
        assert r.acl_getuser("default")["flags"] == ["on"]
        r.config_set("requirepass", "")
        assert redis.Redis(port=t.port).ping()
        r.acl_setuser("default", enabled=True, passwords=["+other"])
        got, _ = exchange(t.port, encode("PING"))
        assert got.startswith(b"-NOAUTH"), got


def test_aclfile_survives_a_restart_and_bad_files_are_refused():
    d = tempfile.mkdtemp(prefix="tally-acl-")
    path = os.path.join(d, "users.acl")
    with open(path, "w") as f:
        f.write("user default on nopass ~* &* +@all\nuser ops on >opspw ~* +@all\n")
    with Tallyd(extra=["--aclfile", path]) as t:
        assert redis.Redis(port=t.port, username="ops", password="opspw").ping()
        admin = redis.Redis(port=t.port)
        admin.acl_setuser("metrics", enabled=True, passwords=["+m"], keys=["m:*"],
                          commands=["+get"])
        assert admin.acl_save()
        t.restart()
        m = redis.Redis(port=t.port, username="metrics", password="m")
        assert m.get("m:1") is None
        with open(path, "a") as f:
            f.write("user broken on +nosuch\n")
        try:
            redis.Redis(port=t.port).acl_load()
            raise AssertionError("a broken ACL file loaded")
        except redis.ResponseError as e:
            assert ":4: Error in applying operation '+nosuch'" in str(e), e
            assert "no change to the previously active ACL rules" in str(e)
        assert m.get("m:1") is None  # the users from before are all still there
    out = subprocess.run([TALLYD, "--port", str(free_port()), "--http-port", "0", "--dir", d,
                          "--aclfile", path], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "Error loading the ACL file" in out.stdout + out.stderr


def test_user_lines_in_the_config_file_and_config_rewrite_match_redis():
    """`user` lines in the config file declare users at start; CONFIG REWRITE writes every
    user back as `user` lines (as redis-server 7.0 writes them), which a restart loads; a bad
    line, or `user` lines with an aclfile, stop start-up with Redis's texts."""
    lines = ("user default on nopass ~* &* +@all\n"
             "user ops on >opspw ~* &* +@all -flushall\n")
    rewritten = {}
    for name in ("redis", "tally"):
        d = tempfile.mkdtemp(prefix="tally-acl-conf-")
        conf = os.path.join(d, "server.conf")
        with open(conf, "w") as f:
            f.write("# users\n" + lines + "appendonly yes\n")
        if name == "redis":
            port = free_port()
            proc = subprocess.Popen([REDIS_SERVER, conf, "--port", str(port), "--dir", d,
                                     "--save", ""], stdout=subprocess.DEVNULL)
            deadline = time.time() + 10
            while time.time() < deadline:
                try:
                    redis.Redis(port=port).ping()
                    break
                except redis.ConnectionError:
                    time.sleep(0.05)
        else:
            server = Tallyd(data_dir=d, extra=[])
            server.command = lambda server=server: [TALLYD, conf, "--port", str(server.port),
                                                    "--http-port", "0", "--dir", d]
            server.start()
            port = server.port
        assert redis.Redis(port=port, username="ops", password="opspw").ping()
        admin = redis.Redis(port=port)
        # One command: ACL LIST's order of several differs from 7.0's (README).
        admin.execute_command("ACL", "SETUSER", "metrics", "on", ">m", "~m:*", "+get")
        admin.execute_command("ACL", "SETUSER", "ops", ">second")
        assert admin.execute_command("CONFIG", "REWRITE") in (b"OK", True)
        with open(conf) as f:
            text = f.read()
        rewritten[name] = [l for l in text.splitlines() if l.startswith("user ")]
        assert text.startswith("# users\nuser "), text  # old places reused, in order
        if name == "redis":
            proc.terminate()
            proc.wait()
        else:
            server.restart()
            m = redis.Redis(port=port, username="metrics", password="m")
            assert m.get("m:1") is None
            try:
                m.set("m:1", "x")
                raise AssertionError("metrics may write")
            except redis.exceptions.NoPermissionError:
                pass
            assert redis.Redis(port=port, username="ops", password="second").ping()
            server.cleanup()
    assert rewritten["redis"] == rewritten["tally"], rewritten
    assert len(rewritten["tally"]) == 3
    # A bad rule stops start-up, naming the line; so do user lines beside an aclfile.
    d = tempfile.mkdtemp(prefix="tally-acl-conf-")
    conf = os.path.join(d, "bad.conf")
    with open(conf, "w") as f:
        f.write("port 0\nuser ops on +nosuch\n")
    out = subprocess.run([TALLYD, conf, "--http-port", "0", "--dir", d], capture_output=True,
                         text=True, timeout=30)
    err = out.stdout + out.stderr
    assert out.returncode != 0, err
    assert "at line 2" in err and "Error in user declaration '+nosuch': Unknown command or " \
        "category name in ACL" in err, err
    with open(conf, "w") as f:
        f.write("user ops on >x\naclfile " + os.path.join(d, "users.acl") + "\n")
    out = subprocess.run([TALLYD, conf, "--port", str(free_port()), "--http-port", "0", "--dir",
                          d], capture_output=True, text=True, timeout=30)
    assert out.returncode != 0 and "declare users directly in your redis.conf, but not both" in \
        out.stdout + out.stderr


def test_changes_reach_live_connections_and_deleted_users_are_disconnected():
    with Tallyd() as t:
        admin = redis.Redis(port=t.port)
        admin.acl_setuser("bob", enabled=True, passwords=["+b"], keys=["*"],
                          commands=["+get", "+client|list", "+client|info"])
        s = socket.create_connection(("127.0.0.1", t.port), timeout=5)
        s.sendall(encode("AUTH", "bob", "b") + encode("GET", "x"))
        assert read_until(s, b"$-1\r\n") == b"+OK\r\n$-1\r\n"
        assert any(c["user"] == "bob" for c in admin.client_list())
        admin.acl_setuser("bob", commands=["-get"])
        s.sendall(encode("GET", "x"))
        assert read_until(s, b"command\r\n").startswith(b"-NOPERM")
        assert admin.acl_deluser("bob") == 1
        s.settimeout(5)
        assert s.recv(100) == b""  # closed by the server
        other = socket.create_connection(("127.0.0.1", t.port), timeout=5)
        other.sendall(encode("CLIENT", "KILL", "USER", "nobody"))
        assert read_until(other, b"\r\n") == b"-ERR No such user 'nobody'\r\n"
        admin.acl_setuser("kim", enabled=True, nopass=True, commands=["+@all"], keys=["*"])
        k = redis.Redis(port=t.port, username="kim", password="x")
        k.ping()
        assert admin.execute_command("CLIENT", "KILL", "USER", "kim") == 1


def test_http_api_authenticates_acl_users():
    import requests
    with Tallyd(extra=["--requirepass", "top"]) as t:
        admin = redis.Redis(port=t.port, password="top")
        admin.acl_setuser("meter", enabled=True, passwords=["+m"], keys=["m:*"],
                          commands=["+incrby", "+get", "+increx"])
        url = t.url("/v1/counters/m:1/incr")
        assert requests.post(url, auth=("meter", "m")).json()["value"] == 1
        assert requests.post(url, auth=("meter", "wrong")).status_code == 401
        assert requests.post(url).status_code == 401
        denied = requests.post(t.url("/v1/counters/other/incr"), auth=("meter", "m"))
        assert denied.status_code == 403, denied.text
        assert "no permissions to access one of the keys" in denied.json()["error"]["message"]
        assert requests.get(t.url("/v1/counters/m:1"), auth=("", "top")).json()["value"] == 1
        assert requests.get(t.url("/v1/counters/m:1"),
                            headers={"Authorization": "Bearer top"}).json()["value"] == 1
        log = admin.execute_command("ACL", "LOG", "1")[0]
        assert dict(zip(log[0::2], log[1::2]))[b"username"] == b"meter"


def read_until(s, end):
    buf = b""
    while not buf.endswith(end):
        chunk = s.recv(4096)
        if not chunk:
            break
        buf += chunk
    return buf


if __name__ == "__main__":
    run_tests([
        test_replies_match_redis_byte_for_byte,
        test_acl_log_matches_redis,
        test_auth_from_redis_py_and_ioredis,
        test_requirepass_is_the_default_users_password,
        test_aclfile_survives_a_restart_and_bad_files_are_refused,
        test_user_lines_in_the_config_file_and_config_rewrite_match_redis,
        test_changes_reach_live_connections_and_deleted_users_are_disconnected,
        test_http_api_authenticates_acl_users,
    ])
