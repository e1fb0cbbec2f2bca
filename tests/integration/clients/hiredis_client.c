/* The client scenario for C's hiredis (Debian libhiredis-dev): hiredis_client <port> <password>
 * <db>. Built by tests/CMakeLists.txt. */
#include <hiredis/hiredis.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static redisContext *c;

static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(1);
}

static redisContext *dial(int port, const char *password, const char *db) {
  struct timeval timeout = {10, 0};
  redisContext *ctx = redisConnectWithTimeout("localhost", port, timeout);
  if (ctx == NULL || ctx->err) fail("connect: %s", ctx ? ctx->errstr : "out of memory");
  redisSetTimeout(ctx, timeout);
  redisReply *r;
  if (password[0] != '\0') {
    r = redisCommand(ctx, "AUTH %s", password);
    if (r == NULL || r->type != REDIS_REPLY_STATUS) fail("AUTH failed");
    freeReplyObject(r);
  }
  r = redisCommand(ctx, "SELECT %s", db);
  if (r == NULL || r->type != REDIS_REPLY_STATUS) fail("SELECT failed");
  freeReplyObject(r);
  return ctx;
}

static redisReply *must(redisReply *r, const char *what) {
  if (r == NULL) fail("%s: %s", what, c->errstr);
  if (r->type == REDIS_REPLY_ERROR) fail("%s: error %s", what, r->str);
  return r;
}

static void expect_int(redisReply *r, long long want, const char *what) {
  must(r, what);
  if (r->type != REDIS_REPLY_INTEGER || r->integer != want)
    fail("%s: got type %d value %lld, want %lld", what, r->type, r->integer, want);
  freeReplyObject(r);
}

static void expect_str(redisReply *r, const char *want, const char *what) {
  must(r, what);
  if ((r->type != REDIS_REPLY_STRING && r->type != REDIS_REPLY_STATUS) || strcmp(r->str, want))
    fail("%s: got type %d '%s', want '%s'", what, r->type, r->str ? r->str : "", want);
  freeReplyObject(r);
}

int main(int argc, char **argv) {
  if (argc != 4) fail("usage: hiredis_client <port> <password> <db>");
  int port = atoi(argv[1]);
  c = dial(port, argv[2], argv[3]);
  expect_int(redisCommand(c, "INCR c"), 1, "INCR");
  expect_int(redisCommand(c, "INCRBY c %d", 10), 11, "INCRBY");
  expect_int(redisCommand(c, "DECR c"), 10, "DECR");
  expect_str(redisCommand(c, "SET s v EX 100"), "OK", "SET EX");
  expect_str(redisCommand(c, "GET s"), "v", "GET");
  expect_str(redisCommand(c, "MSET a 1 b 2"), "OK", "MSET");
  redisReply *r = must(redisCommand(c, "MGET a b nokey"), "MGET");
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 || strcmp(r->element[0]->str, "1") ||
      strcmp(r->element[1]->str, "2") || r->element[2]->type != REDIS_REPLY_NIL)
    fail("MGET: unexpected reply");
  freeReplyObject(r);
  expect_int(redisCommand(c, "DEL a"), 1, "DEL");
  expect_str(redisCommand(c, "MULTI"), "OK", "MULTI");
  expect_str(redisCommand(c, "INCR t"), "QUEUED", "INCR queued");
  expect_str(redisCommand(c, "INCR t"), "QUEUED", "INCR queued");
  r = must(redisCommand(c, "EXEC"), "EXEC");
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || r->element[0]->integer != 1 ||
      r->element[1]->integer != 2)
    fail("EXEC: unexpected reply");
  freeReplyObject(r);
  for (int i = 0; i < 1000; i++) redisAppendCommand(c, "INCR p");
  for (int i = 1; i <= 1000; i++) {
    void *reply = NULL;
    if (redisGetReply(c, &reply) != REDIS_OK) fail("pipeline: %s", c->errstr);
    expect_int(reply, i, "pipelined INCR");
  }
  printf("PHASE1 OK\n");
  fflush(stdout);
  char line[64];
  if (fgets(line, sizeof line, stdin) == NULL) fail("no go line");
  redisFree(c); /* hiredis does not reconnect by itself */
  c = dial(port, argv[2], argv[3]);
  expect_str(redisCommand(c, "GET c"), "10", "GET c");
  expect_str(redisCommand(c, "GET p"), "1000", "GET p");
  expect_str(redisCommand(c, "GET t"), "2", "GET t");
  expect_int(redisCommand(c, "INCR c"), 11, "INCR c");
  printf("PHASE2 OK\n");
  redisFree(c);
  return 0;
}
