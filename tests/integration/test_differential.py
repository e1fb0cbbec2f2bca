"""Differential tests: the same command sequences and raw protocol cases go to Debian's
redis-server 7.0 and to tallyd; the reply bytes and whether the server closed the connection
must be identical. Covers every command tallyd implements and the protocol errors of
reference/reliability.md B4."""
import re

from harness import RedisServer, Tallyd, encode, exchange, run_tests

# Each sequence runs on a fresh connection after FLUSHALL; every command's reply is compared.
SEQUENCES = {
    "object_wait_getkeys": [
        ["SET", "i", "123"], ["SET", "big", "123456789012"], ["SET", "s", "hello"],
        ["SET", "l", "a" * 50], ["SET", "f", "1.5"], ["SET", "neg", "-5"], ["SET", "z", "10001"],
        ["SET", "lead", "0123"], ["SET", "plus", "+5"], ["SET", "huge", "1" * 21],
        ["OBJECT", "ENCODING", "i"], ["OBJECT", "ENCODING", "big"], ["OBJECT", "ENCODING", "s"],
        ["OBJECT", "ENCODING", "l"], ["OBJECT", "ENCODING", "f"], ["OBJECT", "ENCODING", "neg"],
        ["OBJECT", "ENCODING", "lead"], ["OBJECT", "ENCODING", "plus"],
        ["OBJECT", "ENCODING", "huge"], ["OBJECT", "ENCODING", "nokey"],
        ["OBJECT", "REFCOUNT", "i"], ["OBJECT", "REFCOUNT", "z"], ["OBJECT", "REFCOUNT", "neg"],
        ["OBJECT", "REFCOUNT", "s"], ["OBJECT", "REFCOUNT", "nokey"], ["OBJECT", "FREQ", "i"],
        ["OBJECT", "FREQ", "nokey"], ["OBJECT", "IDLETIME", "nokey"], ["OBJECT", "foo"],
        ["OBJECT", "ENCODING"], ["OBJECT", "ENCODING", "a", "b"], ["OBJECT", "HELP"],
        ["WAIT", "0", "0"], ["WAIT", "x", "0"], ["WAIT", "0", "-1"], ["WAIT", "0", "x"],
        ["WAIT", "0"], ["COMMAND", "GETKEYS", "get", "a"], ["COMMAND", "GETKEYS", "set", "a", "b"],
        ["COMMAND", "GETKEYS", "mset", "a", "1", "b", "2"], ["COMMAND", "GETKEYS", "ping", "x"],
        ["COMMAND", "GETKEYS", "nosuch", "x"], ["COMMAND", "GETKEYS", "get"],
        ["COMMAND", "GETKEYS", "get", "a", "b"], ["COMMAND", "GETKEYS", "del", "a", "b", "c"],
        ["COMMAND", "GETKEYS", "eval", "x", "2", "k1", "k2", "a"],
        ["COMMAND", "GETKEYS", "eval", "x", "0"], ["COMMAND", "GETKEYS", "copy", "a", "b"],
        ["COMMAND", "GETKEYS", "rename", "a", "b"], ["COMMAND", "GETKEYS", "config", "get", "x"],
        ["CLIENT", "NO-EVICT", "on"], ["CLIENT", "NO-EVICT", "x"], ["CLIENT", "REPLY", "x"],
        ["CLIENT", "KILL", "1.2.3.4:5"], ["CLIENT", "KILL", "ID", "999"],
        ["CLIENT", "KILL", "ID", "x"], ["CLIENT", "KILL", "TYPE", "foo"],
        ["CLIENT", "KILL", "foo", "bar"], ["CLIENT", "KILL", "ADDR", "1.2.3.4:5", "SKIPME", "no"],
        ["CLIENT", "KILL", "USER", "nobody"], ["CLIENT", "KILL", "TYPE", "pubsub"],
        ["CLIENT", "KILL", "ID"], ["CLIENT", "UNPAUSE"],
        ["CLIENT", "REPLY", "SKIP"], ["PING", "skipped"], ["PING", "seen"],
        ["CLIENT", "REPLY", "OFF"], ["PING", "not seen"], ["SET", "quiet", "1"],
        ["CLIENT", "REPLY", "ON"], ["GET", "quiet"],
    ],
    "counters": [
        ["INCR", "c"], ["INCR", "c"], ["INCRBY", "c", "10"], ["DECR", "c"], ["DECRBY", "c", "5"],
        ["INCRBY", "c", "-9223372036854775808"], ["INCRBY", "c", "+1"], ["INCRBY", "c", " 1"],
        ["INCRBY", "c", "01"], ["INCRBY", "c", "-0"], ["INCRBY", "c", "1.5"], ["INCRBY", "c", ""],
        ["INCRBY", "c", "9223372036854775808"], ["INCRBY", "c", "123456789012345678901"],
        ["SET", "m", "9223372036854775807"], ["INCR", "m"], ["GET", "m"],
        ["SET", "n", "-9223372036854775808"], ["DECR", "n"], ["DECRBY", "x", "-9223372036854775808"],
        ["SET", "s", "abc"], ["INCR", "s"], ["SET", "s", " 1"], ["INCR", "s"],
        ["SET", "s", "1 "], ["INCR", "s"], ["SET", "z", "010"], ["INCR", "z"], ["GET", "z"],
        ["INCR"], ["INCR", "a", "b"], ["INCRBY", "c"], ["DECR"],
    ],
    "incrbyfloat": [
        ["INCRBYFLOAT", "f", "10.5"], ["INCRBYFLOAT", "f", "0.1"], ["INCRBYFLOAT", "f", "-5.0e3"],
        ["SET", "g", "3.0e3"], ["INCRBYFLOAT", "g", "200"], ["INCRBYFLOAT", "h", "1.10"],
        ["INCRBYFLOAT", "h", "1.23456789012345678901"], ["INCRBYFLOAT", "h", "abc"],
        ["INCRBYFLOAT", "h", "+inf"], ["INCRBYFLOAT", "h", "nan"], ["INCRBYFLOAT", "h", " 1"],
        ["INCRBYFLOAT", "h", "0x10"], ["SET", "s", "x"], ["INCRBYFLOAT", "s", "1"],
        ["INCRBYFLOAT", "i", "1e400"], ["INCRBYFLOAT", "j", "-1"], ["INCRBYFLOAT", "j", "1"],
        ["GET", "j"], ["INCRBYFLOAT", "k"],
    ],
    "set": [
        ["SET", "k", "v"], ["GET", "k"], ["SET", "k", "v2", "NX"], ["SET", "k", "v2", "XX"],
        ["SET", "k", "v3", "nx", "get"], ["SET", "k", "v3", "xx", "GET"], ["SET", "nk", "v", "XX"],
        ["SET", "nk", "v", "xx", "get"], ["SET", "k", "v", "nx", "xx"], ["SET", "k", "v", "ex"],
        ["SET", "k", "v", "ex", "10", "px", "10"], ["SET", "k", "v", "keepttl", "ex", "10"],
        ["SET", "k", "v", "ex", "0"], ["SET", "k", "v", "ex", "-5"], ["SET", "k", "v", "px", "x"],
        ["SET", "k", "v", "ex", "9223372036854775807"], ["SET", "k", "v", "foo"],
        ["SET", "k", "v", "ex", "100"], ["TTL", "k"], ["SET", "k", "v", "keepttl"], ["TTL", "k"],
        ["SET", "k", "v"], ["TTL", "k"], ["SET", "k", "v", "ex", "10", "ex", "100"], ["TTL", "k"],
        ["SET", "k", "v", "px", "100000"], ["TTL", "k"], ["SET", "k", "v", "exat", "1"],
        ["EXISTS", "k"], ["SET", "k", "v", "pxat", "1"], ["GET", "k"], ["SET", "e", ""],
        ["GET", "e"], ["STRLEN", "e"], ["SET", "k"], ["SET"],
    ],
    "strings": [
        ["SETNX", "a", "1"], ["SETNX", "a", "2"], ["GET", "a"], ["SETEX", "b", "100", "v"],
        ["TTL", "b"], ["SETEX", "b", "0", "v"], ["SETEX", "b", "x", "v"], ["PSETEX", "b", "-1", "v"],
        ["PSETEX", "p", "100000", "v"], ["TTL", "p"], ["GETSET", "b", "w"], ["TTL", "b"],
        ["GETSET", "nb", "w"], ["GETDEL", "b"], ["GETDEL", "b"], ["APPEND", "c", "ab"],
        ["APPEND", "c", "cd"], ["GET", "c"], ["STRLEN", "c"], ["STRLEN", "none"],
        ["SET", "n", "-555"], ["STRLEN", "n"], ["MSET", "x", "1", "y", "2"], ["MSET", "x", "1", "y"],
        ["MGET", "x", "none", "y"], ["MSETNX", "x", "3", "z", "4"], ["MSETNX", "z", "3", "z", "4"],
        ["GET", "z"], ["MSETNX", "q"], ["MGET"],
    ],
    "getex": [
        ["SET", "k", "v"], ["GETEX", "k"], ["GETEX", "k", "EX", "100"], ["TTL", "k"],
        ["GETEX", "k", "PERSIST"], ["TTL", "k"], ["GETEX", "k", "PX", "100000"], ["TTL", "k"],
        ["GETEX", "k", "EX", "0"], ["GETEX", "k", "EX", "10", "PX", "10"],
        ["GETEX", "k", "PERSIST", "EX", "10"], ["GETEX", "k", "FOO"], ["GETEX", "nokey", "EX", "10"],
        ["GETEX", "k", "EXAT", "1"], ["EXISTS", "k"], ["GETEX"],
    ],
    "keyspace": [
        ["SET", "a", "1"], ["SET", "b", "2"], ["EXISTS", "a", "a", "b", "c"], ["TYPE", "a"],
        ["TYPE", "c"], ["DBSIZE"], ["DEL", "a", "a", "c"], ["UNLINK", "b", "x"], ["DBSIZE"],
        ["TTL", "a"], ["PTTL", "a"], ["SET", "t", "v"], ["TTL", "t"], ["PTTL", "t"],
        ["SELECT", "1"], ["SET", "x", "1"], ["DBSIZE"], ["SELECT", "16"], ["SELECT", "x"],
        ["SELECT", "-1"], ["FLUSHDB", "foo"], ["FLUSHDB", "ASYNC"], ["DBSIZE"], ["SELECT", "0"],
        ["DBSIZE"], ["FLUSHALL", "SYNC"], ["DBSIZE"], ["FLUSHALL", "a", "b"], ["DEL"],
        ["EXISTS"], ["DBSIZE", "x"],
    ],
    "connection": [
        ["PING"], ["ping", "hello"], ["PING", "a", "b"], ["ECHO", "x"], ["ECHO"],
        ["AUTH", "x"], ["AUTH", "default", "x"], ["AUTH", "nobody", "x"], ["AUTH", "a", "b", "c"],
        ["CLIENT", "SETNAME", "a b"], ["CLIENT", "SETNAME", "worker"], ["CLIENT", "GETNAME"],
        ["CLIENT", "SETNAME", ""], ["CLIENT", "GETNAME"], ["CLIENT", "FOO"], ["CLIENT"],
        ["CLIENT", "ID", "x"], ["HELLO", "4"], ["HELLO", "x"], ["HELLO", "1"],
        ["HELLO", "3", "FOO"], ["HELLO", "2", "AUTH", "default"],
        ["CONFIG", "GET", "databases"], ["CONFIG", "GET", "save"], ["CONFIG", "GET", "appendonly"],
        ["CONFIG", "GET", "nosuchoption"], ["CONFIG", "GET"], ["CONFIG"], ["CONFIG", "FOO"],
        ["CONFIG", "SET", "nosuch", "1"], ["CONFIG", "SET", "maxclients"],
        ["CONFIG", "SET", "maxclients", "x"], ["CONFIG", "SET", "timeout", "0"],
        ["INFO", "nosuchsection"], ["SHUTDOWN", "bogus"], ["COMMAND", "FOO"],
        ["nosuchcommand"], ["nosuchcommand", "a", "b\r\nc"], ["", "x"],
        ["x" * 200, "y" * 200], ["foo", "a" * 100, "b" * 100, "c"],
    ],
    "expire": [
        ["SET", "k", "v"], ["EXPIRE", "k", "100"], ["TTL", "k"], ["EXPIRE", "k", "50", "NX"],
        ["EXPIRE", "k", "50", "XX"], ["TTL", "k"], ["EXPIRE", "k", "40", "GT"],
        ["EXPIRE", "k", "60", "GT"], ["TTL", "k"], ["EXPIRE", "k", "70", "LT"],
        ["EXPIRE", "k", "30", "LT"], ["TTL", "k"], ["EXPIRE", "k", "30", "NX", "XX"],
        ["EXPIRE", "k", "30", "GT", "LT"], ["EXPIRE", "k", "30", "FOO"], ["EXPIRE", "k", "x"],
        ["EXPIRE", "k", ""], ["EXPIRE", "k", "9223372036854775807"],
        ["EXPIRE", "k", "-9223372036854775808"], ["PEXPIRE", "k", "9223372036854775807"],
        ["PERSIST", "k"], ["PERSIST", "k"], ["TTL", "k"], ["EXPIRE", "k", "10", "XX"],
        ["EXPIRE", "k", "10", "GT"], ["EXPIRE", "k", "10", "LT"], ["TTL", "k"],
        ["EXPIRE", "k", "10", "XX", "LT"], ["EXPIRE", "nokey", "10"], ["PERSIST", "nokey"],
        ["PEXPIRE", "k", "100000"], ["TTL", "k"], ["EXPIRETIME", "nokey"],
        ["SET", "p", "v"], ["EXPIRETIME", "p"], ["PEXPIRETIME", "p"],
        ["EXPIREAT", "p", "4102444800"], ["EXPIRETIME", "p"], ["PEXPIRETIME", "p"],
        ["PEXPIREAT", "p", "4102444800123"], ["PEXPIRETIME", "p"], ["EXPIRETIME", "p"],
        ["PEXPIREAT", "p", "9223372036854770000"], ["PEXPIRETIME", "p"],
        ["EXPIRE", "p", "-10"], ["EXISTS", "p"], ["SET", "q", "v"], ["EXPIREAT", "q", "1"],
        ["EXISTS", "q"], ["SET", "r", "v"], ["EXPIRE", "r", "0"], ["GET", "r"], ["EXPIRE", "r"],
        ["SET", "s", "1"], ["EXPIRE", "s", "100"], ["INCR", "s"], ["TTL", "s"],
        ["APPEND", "s", "0"], ["TTL", "s"], ["INCRBYFLOAT", "s", "1"], ["TTL", "s"],
    ],
    "keys": [
        ["SET", "a", "1"], ["SET", "b", "2", "EX", "100"], ["RENAME", "a", "c"], ["GET", "c"],
        ["EXISTS", "a"], ["RENAME", "nokey", "x"], ["RENAME", "c", "c"], ["RENAMENX", "c", "c"],
        ["RENAMENX", "c", "b"], ["RENAMENX", "b", "d"], ["TTL", "d"], ["RENAME", "d", "c"],
        ["TTL", "c"], ["GET", "c"], ["COPY", "c", "e"], ["TTL", "e"], ["COPY", "c", "e"],
        ["COPY", "c", "e", "REPLACE"], ["COPY", "c", "c"], ["COPY", "nokey", "z"],
        ["COPY", "c", "f", "DB", "1"], ["COPY", "c", "f", "DB", "16"], ["COPY", "c", "f", "DB", "x"],
        ["COPY", "c", "f", "FOO"], ["COPY", "c", "c", "DB", "1"], ["SELECT", "1"], ["GET", "f"],
        ["GET", "c"], ["SELECT", "0"], ["MOVE", "c", "1"], ["MOVE", "e", "1"], ["MOVE", "e", "0"],
        ["MOVE", "e", "99"], ["MOVE", "e", "x"], ["MOVE", "nokey", "1"], ["EXISTS", "c", "e"],
        ["KEYS", "e"], ["KEYS", "nomatch*"], ["KEYS", "[a-c]"], ["RANDOMKEY"], ["DEL", "e"],
        ["SELECT", "2"], ["RANDOMKEY"], ["SELECT", "0"], ["SCAN", "x"], ["SCAN", "0", "COUNT", "0"],
        ["SCAN", "0", "COUNT", "x"], ["SCAN", "0", "FOO", "bar"], ["SCAN", "0", "MATCH"],
        ["SETRANGE", "s", "0", "hello"], ["SETRANGE", "s", "6", "world"], ["GET", "s"],
        ["SETRANGE", "s", "-1", "x"], ["SETRANGE", "s", "x", "x"], ["SETRANGE", "nos", "0", ""],
        ["SETRANGE", "s", "100", ""], ["SETRANGE", "s", "536870910", "abc"],
        ["GETRANGE", "s", "0", "4"], ["GETRANGE", "s", "-5", "-1"], ["GETRANGE", "s", "5", "2"],
        ["GETRANGE", "s", "-1", "-5"], ["GETRANGE", "s", "0", "-100"], ["GETRANGE", "s", "0", "1000"],
        ["GETRANGE", "nokey", "0", "1"], ["GETRANGE", "s", "x", "1"], ["SUBSTR", "s", "1", "3"],
        ["SET", "ttl", "v", "EX", "100"], ["SETRANGE", "ttl", "1", "x"], ["TTL", "ttl"],
    ],
    "transactions": [
        ["MULTI"], ["INCR", "a"], ["INCR", "a"], ["GET", "a"], ["EXEC"],
        ["EXEC"], ["DISCARD"], ["MULTI"], ["MULTI"], ["SET", "b", "1"], ["DISCARD"], ["GET", "b"],
        ["MULTI"], ["SET", "c", "x"], ["INCR", "c"], ["GET", "c"], ["EXEC"],
        ["MULTI"], ["SET", "d", "1"], ["NOSUCH"], ["EXEC"], ["GET", "d"],
        ["MULTI"], ["SET", "d", "1"], ["INCR"], ["EXEC"], ["GET", "d"],
        ["WATCH", "w"], ["MULTI"], ["WATCH", "x"], ["SET", "w", "1"], ["EXEC"], ["GET", "w"],
        ["WATCH", "w"], ["SET", "w", "2"], ["MULTI"], ["SET", "w", "3"], ["EXEC"], ["GET", "w"],
        ["WATCH", "w"], ["UNWATCH"], ["SET", "w", "4"], ["MULTI"], ["SET", "w", "5"], ["EXEC"],
        ["GET", "w"], ["WATCH"], ["MULTI"], ["UNWATCH"], ["PING"], ["EXEC"],
        ["MULTI"], ["SELECT", "1"], ["SET", "in1", "x"], ["SELECT", "0"], ["EXEC"],
        ["GET", "in1"], ["SELECT", "1"], ["GET", "in1"], ["SELECT", "0"],
        ["MULTI"], ["INCR", "rate"], ["EXPIRE", "rate", "60"], ["EXEC"], ["TTL", "rate"],
        ["MULTI"], ["EXEC"], ["MULTI"], ["FLUSHDB"], ["SET", "after", "1"], ["EXEC"], ["DBSIZE"],
    ],
    "lists": [
        ["rpush", "l", "a", "b", "c", "a", "b", "c"], ["lpos", "l", "a", "rank", "0"],
        ["lpos", "l", "a", "rank", "x"], ["lpos", "l", "a", "count", "-1"],
        ["lpos", "l", "a", "maxlen", "-1"], ["lpos", "l", "a", "foo"],
        ["lpos", "l", "a", "rank", "-9223372036854775808"], ["lpos", "l", "a"],
        ["lpos", "l", "a", "rank", "2"], ["lpos", "l", "a", "rank", "-1"],
        ["lpos", "l", "a", "count", "0"], ["lpos", "l", "b", "count", "0", "rank", "-1"],
        ["lpos", "l", "c", "count", "1", "maxlen", "3"], ["lpos", "nokey", "a"],
        ["lpos", "nokey", "a", "count", "2"], ["lpop", "l", "-1"], ["lpop", "l", "x"],
        ["lpop", "l", "0"], ["lpop", "nokey", "0"], ["lpop", "nokey"], ["lpop", "l", "1", "2"],
        ["lset", "nokey", "x", "y"], ["lset", "l", "100", "y"], ["lset", "l", "x", "y"],
        ["lset", "l", "-1", "Z"], ["linsert", "l", "middle", "a", "b"],
        ["linsert", "l", "before", "b", "B"], ["linsert", "l", "after", "zz", "B"],
        ["linsert", "nokey", "after", "a", "B"], ["lrange", "l", "x", "1"],
        ["lrange", "l", "0", "-1"], ["lrange", "l", "-100", "100"], ["lrange", "l", "5", "2"],
        ["lrange", "nokey", "0", "-1"], ["lmove", "l", "l2", "up", "left"],
        ["lmove", "l", "l2", "left", "right"], ["lmove", "l", "l", "right", "left"],
        ["rpoplpush", "l", "l2"], ["lrange", "l", "0", "-1"], ["lrange", "l2", "0", "-1"],
        ["lindex", "l", "x"], ["lindex", "nokey", "x"], ["lindex", "l", "-1"],
        ["lindex", "l", "100"], ["lrem", "l", "x", "a"], ["lrem", "l", "0", "a"],
        ["lrem", "l", "-1", "b"], ["lrem", "l", "-9223372036854775808", "c"],
        ["ltrim", "l", "x", "1"], ["ltrim", "l", "1", "-2"], ["lrange", "l", "0", "-1"],
        ["ltrim", "l", "5", "1"], ["exists", "l"], ["set", "s", "1"], ["lpush", "s", "x"],
        ["lpop", "s"], ["llen", "s"], ["lrange", "s", "0", "1"],
        ["lmove", "s", "l2", "left", "left"], ["lmove", "l2", "s", "left", "left"],
        ["lmove", "nokey", "s", "left", "left"], ["type", "l2"], ["type", "s"], ["type", "nokey"],
        ["object", "encoding", "l2"], ["get", "l2"], ["getset", "l2", "x"], ["append", "l2", "x"],
        ["mget", "l2", "s"], ["setnx", "l2", "2"], ["incr", "l2"], ["strlen", "l2"],
        ["getrange", "l2", "0", "1"], ["lpushx", "nokey", "a"], ["rpushx", "l2", "a", "b"],
        ["llen", "l2"], ["lpush", "l2"], ["rpop", "l2", "2"], ["rpop", "l2"],
        ["expire", "l2", "100"], ["lpush", "l2", "q"], ["ttl", "l2"], ["rename", "l2", "l3"],
        ["type", "l3"], ["lrange", "l3", "0", "-1"], ["set", "l3", "v"], ["type", "l3"],
        ["get", "l3"], ["rpush", "big", "1", "2", "3"], ["lpop", "big", "10"], ["exists", "big"],
    ],
    "lmpop": [
        ["rpush", "b", "1", "2", "3"], ["lmpop", "2", "a", "b", "left"],
        ["lmpop", "2", "a", "b", "right", "count", "5"], ["lmpop", "1", "a", "left"],
        ["exists", "b"], ["rpush", "b", "1", "2", "3"], ["lmpop", "1", "b", "left", "count", "x"],
        ["lmpop", "1", "b", "left", "count", "0"],
        ["lmpop", "1", "b", "left", "count", "1", "count", "1"],
        ["lmpop", "1", "b", "left", "foo"], ["lmpop", "9223372036854775807", "b", "left"],
        ["lmpop", "-1", "b", "left"], ["lmpop", "x", "b", "left"], ["lmpop", "3", "a", "b"],
        ["lmpop", "1", "b", "up"], ["lmpop", "1", "b", "RIGHT", "COUNT", "2"], ["set", "s", "x"],
        ["lmpop", "2", "s", "b", "left"], ["lmpop", "2", "a", "s", "left"],
        ["lmpop", "2", "b", "s", "left"], ["lmpop", "2", "b", "s", "left"],
        ["command", "getkeys", "lmpop", "2", "a", "b", "left"],
        ["command", "getkeys", "lmpop", "0", "a", "left"],
        ["command", "getkeys", "lmpop", "5", "a", "left"],
        ["command", "getkeys", "lmpop", "x", "a", "left"], ["lmpop", "1", "b"], ["lmpop"],
    ],
    "lists_resp3": [
        ["HELLO", "3"], ["LPOP", "nokey", "1"], ["LPOP", "nokey"], ["RPUSH", "l", "a", "b"],
        ["LPOP", "l", "0"], ["RPOP", "l", "5"], ["LPOP", "l", "1"], ["LINDEX", "nokey", "0"],
        ["LPOS", "nokey", "a"], ["LPOS", "nokey", "a", "COUNT", "0"], ["LMOVE", "nokey", "d", "LEFT", "LEFT"],
        ["LRANGE", "nokey", "0", "-1"], ["LMPOP", "1", "nokey", "LEFT"], ["HELLO", "2"],
    ],
    "lists_in_transactions": [
        ["MULTI"], ["RPUSH", "q", "1", "2", "3"], ["LPUSH", "q", "0"], ["SET", "s", "x"],
        ["LPUSH", "s", "y"], ["LRANGE", "q", "0", "-1"], ["EXEC"], ["EVAL",
        "redis.call('rpush', KEYS[1], 'a', 'b') return redis.call('lrange', KEYS[1], 0, -1)", "1",
        "e"], ["EVAL", "return redis.pcall('lpush', 's', 'x')", "0"], ["EVAL",
        "return redis.call('lpos', KEYS[1], 'b')", "1", "e"],
    ],
    "hello": [
        ["HELLO"], ["HELLO", "2"], ["GET", "nokey"], ["HELLO", "3"], ["GET", "nokey"],
        ["MGET", "a", "b"], ["SET", "k", "v", "NX"], ["SET", "k", "v", "NX"],
        ["CONFIG", "GET", "databases"], ["INCRBYFLOAT", "f", "1.5"], ["HELLO", "2"],
        ["GET", "nokey"],
    ],
}

# Raw protocol cases: (name, bytes). Each runs on a fresh connection.
BIG = b"x" * (70 * 1024)
RAW = [
    ("empty line", b"\r\n"),
    ("star zero and negative", b"*0\r\n*-1\r\n*-10\r\n"),
    ("invalid multibulk length", b"*3000000000\r\n"),
    ("multibulk not a number", b"*abc\r\n"),
    ("multibulk plus", b"*+1\r\n"),
    ("expected dollar", b"*1\r\nfoo\r\n"),
    ("nested array", b"*1\r\n*1\r\n$4\r\nPING\r\n"),
    ("nil bulk", b"*1\r\n$-1\r\n"),
    ("negative bulk", b"*1\r\n$-10\r\n"),
    ("bulk not a number", b"*1\r\n$abc\r\n"),
    ("bulk too long", b"*1\r\n$2000000000\r\n"),
    ("unbalanced quotes", b'set "a b\r\n'),
    ("quote then char", b'SET "a"b c\r\n'),
    ("inline lf only", b"PING\n"),
    ("inline quotes", b'SET "a b" \'c d\'\r\nGET "a b"\r\n'),
    ("inline hex escape", b'ECHO "\\x41\\x42"\r\n'),
    ("too big inline", BIG),
    ("too big mbulk count", b"*" + BIG),
    ("reply type as request", b"+PING\r\n"),
    ("http post", b"POST / HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("host header", b"Host: example.com\r\n"),
    ("pipeline then error", b"PING\r\n*x\r\nPING\r\n"),
    ("quit then more", b"QUIT\r\nPING\r\n"),
    ("quit args", encode("QUIT", "a")),
    ("binary key", encode("SET", "k\x00\r\n", "v") + encode("GET", "k\x00\r\n")),
    ("crlf in args echoed", b"*2\r\n$3\r\nFOO\r\n$4\r\na\r\nb\r\n"),
    ("mixed pipeline", b"PING\r\n" + encode("ECHO", "hi") + b"PING x\r\n"),
    ("crlf not checked after bulk", b"*1\r\n$4\r\nPINGxx"),
    ("empty command name", encode("", "a")),
    ("many args", encode("MSET", *(["k", "v"] * 10001))),
    ("hello 3 then pipelined", encode("HELLO", "3") + encode("GET", "nokey") +
     encode("HELLO", "2") + encode("GET", "nokey")),
]

HELLO_ID = re.compile(rb"(\$2\r\nid\r\n:)\d+")


def normalise(data):
    return HELLO_ID.sub(rb"\1<id>", data)


def compare(redis_port, tally_port, data, name, marker=True):
    timeout = 3.0 if marker else 1.0
    want = exchange(redis_port, data, marker, timeout)
    got = exchange(tally_port, data, marker, timeout)
    want = (normalise(want[0]), want[1])
    got = (normalise(got[0]), got[1])
    assert want == got, f"{name}:\n redis: {want!r}\n tally: {got!r}"


def with_servers(fn):
    def test():
        with RedisServer() as r, Tallyd() as t:
            fn(r.port, t.port)
    test.__name__ = fn.__name__
    return test


@with_servers
def test_command_sequences(rp, tp):
    for name, seq in SEQUENCES.items():
        data = encode("FLUSHALL") + b"".join(encode(*cmd) for cmd in seq)
        compare(rp, tp, data, name)
        if name == "transactions":
            continue  # stateful: only meaningful as a whole
        # Each command also on its own, so that one difference is named precisely.
        exchange(rp, encode("FLUSHALL"))
        exchange(tp, encode("FLUSHALL"))
        for cmd in seq:
            compare(rp, tp, encode(*cmd), f"{name}: {cmd[:4]}")


@with_servers
def test_scan_and_keys_return_the_same_keys(rp, tp):
    import redis
    results = []
    for port in (rp, tp):
        r = redis.Redis(port=port)
        r.flushall()
        for i in range(250):
            r.set(f"user:{i}", i)
            r.set(f"other:{i}", i)
        for i in range(30):
            r.rpush(f"queue:{i}", i, "x")
        r.set("gone", 1, px=1)
        import time
        time.sleep(0.01)
        scanned = list(r.scan_iter(count=7))
        matched = list(r.scan_iter(match="user:1*", count=50))
        typed = list(r.scan_iter(_type="string", count=1000))
        lists = list(r.scan_iter(_type="LIST", count=9))
        results.append((sorted(scanned), sorted(matched), sorted(typed), sorted(lists),
                        list(r.scan_iter(_type="hash")), sorted(r.keys("user:2?")),
                        r.randomkey() is not None))
    assert results[0] == results[1]
    assert len(results[0][0]) == 530 and len(set(results[0][0])) == 530
    assert len(results[0][3]) == 30


@with_servers
def test_raw_protocol_cases(rp, tp):
    for name, data in RAW:
        exchange(rp, encode("FLUSHALL"))
        exchange(tp, encode("FLUSHALL"))
        compare(rp, tp, data, name)


@with_servers
def test_fragmented_pipeline(rp, tp):
    # One byte per send (kvrocks #62): same replies as one write.
    import socket
    data = encode("INCR", "f") * 3 + b"PING\r\n"
    outs = []
    for port in (rp, tp):
        exchange(port, encode("FLUSHALL"))
        with socket.create_connection(("127.0.0.1", port)) as s:
            for b in data:
                s.sendall(bytes([b]))
            buf = b""
            while buf.count(b"\r\n") < 4:
                buf += s.recv(100)
        outs.append(buf)
    assert outs[0] == outs[1] == b":1\r\n:2\r\n:3\r\n+PONG\r\n", outs


def test_requirepass_and_unauthenticated_limits():
    extra = ["--requirepass", "secret"]
    with RedisServer(extra=extra) as r, Tallyd(extra=extra) as t:
        cases = [
            ("noauth ping", b"PING\r\n" + encode("INCR", "k")),
            ("unknown before noauth", encode("FOO") + encode("INCR")),
            ("unauth mbulk", b"*11\r\n"),
            ("unauth bulk", b"*1\r\n$16385\r\n"),
            ("unauth bulk ok size", b"*1\r\n$16384\r\n" + b"x" * 16384 + b"\r\n"),
            ("wrong pass", encode("AUTH", "wrong") + encode("AUTH", "default", "wrong")),
            ("hello noauth", encode("HELLO", "3")),
            ("hello auth", encode("HELLO", "2", "AUTH", "default", "secret") + encode("INCR", "k")),
            ("auth then", encode("AUTH", "secret") + encode("SET", "k", "1") + encode("GET", "k")),
            ("quit unauth", encode("QUIT")),
        ]
        for name, data in cases:
            # Unauthenticated, the ECHO marker would only get NOAUTH: read until quiet instead.
            compare(r.port, t.port, data, name, marker=False)


def test_maxclients():
    extra = ["--maxclients", "3"]
    import socket
    import time
    with RedisServer(extra=extra) as r, Tallyd(extra=extra) as t:
        for port in (r.port, t.port):
            held = [socket.create_connection(("127.0.0.1", port)) for _ in range(3)]
            time.sleep(0.2)
            reply, closed = exchange(port, b"", marker=False, timeout=2)
            assert reply == b"-ERR max number of clients reached\r\n" and closed, (port, reply)
            for s in held:
                s.close()


def commandstats(port):
    """INFO commandstats as {command: (calls, rejected_calls, failed_calls)} (usec varies)."""
    reply, _ = exchange(port, encode("INFO", "commandstats"))
    stats = {}
    for line in reply.decode().split("\r\n"):
        if line.startswith("cmdstat_"):
            name, fields = line[len("cmdstat_"):].split(":", 1)
            kv = dict(f.split("=") for f in fields.split(","))
            assert set(kv) == {"calls", "usec", "usec_per_call", "rejected_calls", "failed_calls"}
            stats[name] = (int(kv["calls"]), int(kv["rejected_calls"]), int(kv["failed_calls"]))
    return stats


def test_info_commandstats():
    # The same commands to both; the counts per command (calls, rejected, failed) must agree.
    seq = [("SET", "a", "1"), ("INCR", "a"), ("INCR", "a"), ("SET", "s", "x"), ("INCR", "s"),
           ("INCRBY", "a"), ("GET", "a"), ("MGET", "a", "s"), ("CONFIG", "GET", "port"),
           ("DEL", "s"), ("INCRBYFLOAT", "a", "x")]
    with RedisServer() as r, Tallyd() as t:
        for port in (r.port, t.port):
            exchange(port, b"".join(encode(*cmd) for cmd in seq), marker=False, timeout=1)
        want, got = commandstats(r.port), commandstats(t.port)
        assert got == want, (want, got)
        assert got["incr"] == (3, 0, 1) and got["incrby"] == (0, 1, 0)
        for port in (r.port, t.port):
            exchange(port, encode("CONFIG", "RESETSTAT"))
        want, got = commandstats(r.port), commandstats(t.port)
        assert got == want == {"config|resetstat": (1, 0, 0), "echo": (1, 0, 0)}, (want, got)
        reply, _ = exchange(t.port, encode("INFO"))
        assert b"cmdstat_" not in reply  # not a default section, as in Redis
        reply, _ = exchange(t.port, encode("INFO", "all"))
        assert b"# Commandstats" in reply


def errorstats(port):
    reply, _ = exchange(port, encode("INFO", "errorstats") + encode("INFO", "stats"))
    lines = reply.decode().split("\r\n")
    stats = {l.split(":")[0]: l.split(":")[1] for l in lines if l.startswith("errorstat_")}
    total = [l for l in lines if l.startswith("total_error_replies:")]
    return stats, total


def test_info_errorstats():
    # Errors of several codes, from the handler, from dispatch (unknown command, arity) and
    # inside EXEC: the counts by code and the total must agree.
    seq = [("SET", "s", "x"), ("INCR", "s"), ("NOSUCH",), ("GET",), ("MULTI",), ("INCR", "s"),
           ("EXEC",), ("MULTI",), ("GET",), ("EXEC",), ("SET", "k", "v", "EX", "0"),
           ("AUTH", "x"), ("SELECT", "99"), ("CONFIG", "SET", "port", "x")]
    with RedisServer() as r, Tallyd() as t:
        for port in (r.port, t.port):
            exchange(port, b"".join(encode(*cmd) for cmd in seq), marker=False, timeout=1)
        want, got = errorstats(r.port), errorstats(t.port)
        assert got == want, (want, got)
        assert got[0]["errorstat_ERR"].startswith("count=") and "errorstat_EXECABORT" in got[0]
        for port in (r.port, t.port):
            exchange(port, encode("CONFIG", "RESETSTAT"))
        assert errorstats(t.port) == errorstats(r.port) == ({}, ["total_error_replies:0"])


def test_slowlog():
    # With slowlog-log-slower-than 0 every command is logged: ids, arguments (truncated as
    # Redis truncates them), client names and the replies to bad counts must agree.
    import redis
    extra = ["--slowlog-log-slower-than", "0", "--slowlog-max-len", "5"]
    seq = [("SET", "a", "1"), ("CLIENT", "SETNAME", "me"), ("GET", "x" * 200),
           tuple(["MGET"] + [f"k{i}" for i in range(40)]), ("AUTH", "secret"),
           ("MULTI",), ("INCR", "a"), ("EXEC",), ("SLOWLOG", "LEN")]
    with RedisServer(extra=extra) as r, Tallyd(extra=extra) as t:
        logs = []
        for port in (r.port, t.port):
            exchange(port, b"".join(encode(*cmd) for cmd in seq), marker=False, timeout=1)
            c = redis.Redis(port=port)
            c.response_callbacks.pop("SLOWLOG GET", None)  # the raw entries, client name too
            entries = c.execute_command("SLOWLOG", "GET", "-1")
            logs.append([(e[0], e[3], e[5]) for e in entries])  # id, arguments, client name
            bad, _ = exchange(port, encode("SLOWLOG", "GET", "-2") + encode("SLOWLOG", "GET", "x"))
            logs.append(bad)
            logs.append(c.slowlog_len())
            assert c.slowlog_reset()
            logs.append(c.slowlog_len())  # the RESET itself is logged after it ran
        assert logs[:4] == logs[4:], logs
        assert len(logs[0]) == 5 and logs[0][0][1] == [b"SLOWLOG", b"LEN"], logs[0]


def test_client_kill_closes_the_matched_clients():
    """CLIENT KILL ID / ADDR / TYPE pubsub / SKIPME on both servers: the same counts, and the
    killed connections (only those) are closed."""
    import redis
    import socket
    with Tallyd() as t, RedisServer() as r:
        for port in (r.port, t.port):
            admin = redis.Redis(port=port)
            victim = redis.Redis(port=port, single_connection_client=True)
            victim.ping()
            sub = socket.create_connection(("127.0.0.1", port))
            sub.sendall(encode("SUBSCRIBE", "ch"))
            sub.settimeout(5)
            sub.recv(100)
            bystander = redis.Redis(port=port, single_connection_client=True)
            bystander.ping()
            vid = victim.client_id()
            assert admin.execute_command("CLIENT", "KILL", "ID", vid) == 1
            assert admin.execute_command("CLIENT", "KILL", "ID", vid) == 0
            assert admin.execute_command("CLIENT", "KILL", "TYPE", "pubsub") == 1
            assert sub.recv(100) == b""  # closed
            me = admin.client_info()["addr"]
            assert admin.execute_command("CLIENT", "KILL", "ADDR", me) == 0  # SKIPME yes
            assert bystander.ping()
            try:
                victim.ping()
                raise AssertionError("the killed client still answers")
            except redis.ConnectionError:
                pass


if __name__ == "__main__":
    run_tests([test_command_sequences, test_scan_and_keys_return_the_same_keys,
               test_raw_protocol_cases, test_fragmented_pipeline,
               test_requirepass_and_unauthenticated_limits, test_maxclients,
               test_info_commandstats, test_info_errorstats, test_slowlog,
               test_client_kill_closes_the_matched_clients])
