#include "connection.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>

#include "ack_waiters.h"
#include "monitors.h"
#include "stream_state.h"
#include "tally/commands/acl.h"
#include "tally/commands/command_table.h"
#include "tally/commands/scripting.h"
#include "tally/server/server.h"
#include "tally/util/clock.h"

namespace tally {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
// Replies past this size are sent before the rest of the batch runs, so that a long pipeline
// of large replies does not grow the output buffer without bound.
constexpr size_t kFlushThreshold = 64 * 1024;
constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace

Connection::Connection(Stream stream, Server& server, std::shared_ptr<AckWaiters> acks, uint64_t id)
    : stream_(std::move(stream)), server_(server), acks_(std::move(acks)), writer_(&out_) {
  InitSession(stream_.socket(), id, &session_);
  session_.authenticated = DefaultUserNeedsNoAuth(*server_.acl());
  parser_.set_max_bulk_len(server_.config().Int(Opt::kProtoMaxBulkLen));
}

void Connection::Stop() {
  asio::post(stream_.get_executor(), [self = shared_from_this()] {
    // The cancel ends a read in progress; the flag, one not started yet (the connection may be
    // writing a reply when this runs, and would otherwise read on).
    self->stop_requested_ = true;
    std::error_code ec;
    self->stream_.socket().cancel(ec);
  });
}

void Connection::PrepareRead() {
  if (rpos_ == wpos_) {
    rpos_ = wpos_ = 0;
    if (in_.size() > (1 << 20)) {
      in_.resize(2 * kReadChunk);
      in_.shrink_to_fit();
    }
  } else if (rpos_ > 0 && in_.size() - wpos_ < kReadChunk) {
    // Move the pending partial command to the front; the parser's offsets are relative to it.
    in_.erase(0, rpos_);
    wpos_ -= rpos_;
    rpos_ = 0;
  }
  const size_t want = wpos_ + kReadChunk;
  if (in_.size() < want) {
    // Grow by doubling as bytes arrive, never to a declared bulk length up front.
    size_t grow = std::max(want, in_.size() * 2);
    size_t hint = parser_.bytes_hint();
    if (hint > want) grow = std::min(grow, hint);
    in_.resize(grow);
  }
}

asio::awaitable<bool> Connection::Handshake() {
  Stream::TlsStream* tls = stream_.tls();
  if (tls == nullptr) co_return true;
  auto [ec] = co_await tls->async_handshake(asio::ssl::stream_base::server, kAsTuple);
  if (!ec) co_return true;
  // Redis logs this at verbose: a plaintext client or a bad certificate is the client's affair.
  spdlog::debug("Error accepting a client connection: {} (addr={} laddr={})", ec.message(),
                session_.addr, session_.laddr);
  co_return false;
}

asio::awaitable<void> Connection::Run() {
  const int64_t query_limit = server_.config().Int(Opt::kClientQueryBufferLimit);
  bool open = co_await Handshake();
  while (open && !server_.stopping() && !stop_requested_) {
    PrepareRead();
    auto [ec, n] = co_await stream_.async_read_some(
        asio::buffer(in_.data() + wpos_, in_.size() - wpos_), kAsTuple);
    if (ec) break;
    wpos_ += n;
    batch_start_ = std::chrono::steady_clock::now();
    batch_clock_ = batch_start_;
    session_.last_interaction_ms.store(NowMs(), std::memory_order_relaxed);
    session_.query_buffer_bytes.store(wpos_ - rpos_, std::memory_order_relaxed);
    server_.CountBytes(n, 0);
    if (static_cast<int64_t>(wpos_ - rpos_) > query_limit) {
      spdlog::warn("Closing client {} that reached max query buffer length ({} bytes)",
                   session_.addr, wpos_ - rpos_);
      break;
    }
    if (!co_await ProcessInput()) break;
    if (session_.monitor) {
      co_await RunMonitor();
      break;
    }
    if (session_.subscriber) {
      co_await RunPubSub();
      break;
    }
  }
  ResetTransaction(session_, server_.keyspace());  // releases its WATCHes
  if (session_.subscriber) UnsubscribeAll(session_, server_.pubsub());
  std::error_code ec;
  stream_.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  stream_.socket().close(ec);
  server_.Unregister(session_.id);
}

asio::awaitable<bool> Connection::ProcessInput() {
  const int64_t output_limit = server_.config().Int(Opt::kClientOutputBufferLimit);
  scouted_ = rpos_;
  while (rpos_ < wpos_) {
    if (rpos_ >= scouted_ && session_.authenticated.load(std::memory_order_relaxed)) PrefetchKeys();
    size_t consumed = 0;
    parser_.set_authenticated(session_.authenticated.load(std::memory_order_relaxed));
    auto result =
        parser_.Parse(std::string_view(in_.data() + rpos_, wpos_ - rpos_), &consumed, &args_);
    if (result == RespParser::Result::kIncomplete) break;
    if (result == RespParser::Result::kError) {
      // Redis replies once and closes (setProtocolError); earlier replies go out first.
      writer_.Error(parser_.error());
      co_await Flush();
      co_return false;
    }
    rpos_ += consumed;
    if (args_.empty()) continue;
    CommandContext ctx{args_, session_, writer_, server_};
    ctx.may_defer = true;
    const size_t reply_start = out_.size();
    if (server_.scripts()->running() || server_.client_pause()->active_now()) {
      co_await Execute(ctx);  // the slow path: a script runs or clients are paused
      batch_clock_ = {};      // it may have waited: the next command reads the clock
    } else {
      ctx.clock = batch_clock_;
      server_.commands().Dispatch(ctx);
      batch_clock_ = ctx.clock;
      if (ctx.deferred) {
        ctx.clock = {};  // a script's time starts when it runs
        co_await Execute(ctx);
        batch_clock_ = {};
      }
    }
    ApplyReplyMode(reply_start);
    server_.CountCommand();
    ++batch_commands_;
    if (ctx.barrier > barrier_) barrier_ = ctx.barrier;
    if (session_.monitor) {
      // What the client pipelined after MONITOR is dropped, as it only reads lines from here.
      // The replies (MONITOR's +OK last) go out in RunMonitor, once it is watching: a command
      // sent after the client saw +OK is always shown.
      rpos_ = wpos_;
      co_return true;
    }
    if (session_.close_now || session_.close_after_reply) {
      co_await Flush();  // replies of earlier commands still go out, as in Redis
      co_return false;
    }
    if (static_cast<int64_t>(out_.size()) > output_limit) {
      // Redis's client-output-buffer-limit: drop the client rather than hold its replies.
      spdlog::warn("Closing client {}: {} bytes of replies pass the output buffer limit",
                   session_.addr, out_.size());
      co_return false;
    }
    if (out_.size() >= kFlushThreshold) {
      if (!co_await Flush()) co_return false;
      batch_clock_ = {};  // the flush may have waited for the log
    }
  }
  session_.query_buffer_bytes.store(wpos_ - rpos_, std::memory_order_relaxed);
  if (!out_.empty() && !co_await Flush()) co_return false;
  co_return true;
}

void Connection::PrefetchKeys() {
  if (prefetch_idle_ > 0) {
    --prefetch_idle_;
    scouted_ = wpos_;
    return;
  }
  // At most 16 commands in at most 4 KiB: a command still arriving (a large MSET, say) is
  // parsed again from its start at each read, so the bytes looked at must be bounded.
  constexpr size_t kWindow = 16;
  constexpr size_t kWindowBytes = 4096;
  constexpr uint32_t kPrefetchBackoff = 64;
  std::string_view keys[kWindow];
  size_t n = 0;
  size_t pos = rpos_;
  const size_t end = std::min(wpos_, rpos_ + kWindowBytes);
  while (n < kWindow && pos < end) {
    size_t consumed = 0;
    auto result =
        scout_.Parse(std::string_view(in_.data() + pos, end - pos), &consumed, &scout_args_);
    if (result != RespParser::Result::kOk) {  // the real parse reports what is wrong
      scout_ = RespParser();                  // forget a partial command's progress
      break;                                  // from here again once the real parse gets here
    }
    pos += consumed;
    if (scout_args_.size() >= 2) keys[n++] = scout_args_[1];
  }
  scouted_ = pos;
  // One command alone is about to run: its lookup would wait for the prefetch anyway.
  const DbIndex db = static_cast<DbIndex>(session_.db.load(std::memory_order_relaxed));
  if (n < 2 || server_.keyspace().Prefetch(db, std::span(keys, n)) == 0)
    prefetch_idle_ = kPrefetchBackoff;
}

void Connection::ApplyReplyMode(size_t reply_start) {
  using Mode = Session::ReplyMode;
  switch (session_.reply_mode) {
    case Mode::kOn:
      return;
    case Mode::kOff:
      break;
    case Mode::kSkipThis:
      session_.reply_mode = Mode::kSkipNext;
      break;
    case Mode::kSkipNext:
      session_.reply_mode = Mode::kOn;
      break;
  }
  out_.resize(reply_start);
}

asio::awaitable<void> Connection::Execute(CommandContext& ctx) {
  const CommandTable& table = server_.commands();
  ScriptEngine& scripts = *server_.scripts();
  if (!ctx.deferred && scripts.running()) {
    // A script holds the keyspace: wait for it without holding this io thread, until it ends
    // or has run past busy-reply-threshold (then Dispatch answers -BUSY).
    const CommandSpec* spec = table.Lookup(ctx.args);
    const int64_t threshold = server_.config().Int(Opt::kBusyReplyThreshold);
    asio::steady_timer timer(stream_.get_executor());
    while ((spec == nullptr || !(spec->flags & kCmdAllowBusy)) && scripts.running() &&
           !scripts.busy(threshold)) {
      timer.expires_after(std::chrono::milliseconds(1));
      co_await timer.async_wait(kAsTuple);
    }
  }
  if (!ctx.deferred) {
    // CLIENT PAUSE: this command waits (the connection's later ones behind it) until the pause
    // ends or CLIENT UNPAUSE.
    const CommandSpec* spec = table.Lookup(ctx.args);
    asio::steady_timer timer(stream_.get_executor());
    while (spec != nullptr && !server_.stopping() &&
           server_.client_pause()->Blocks(*spec, session_, table, NowMs())) {
      timer.expires_after(std::chrono::milliseconds(1));
      co_await timer.async_wait(kAsTuple);
    }
    table.Dispatch(ctx);
  }
  if (!ctx.deferred) co_return;
  // A script: it runs on the script thread while this coroutine waits.
  ctx.may_defer = false;
  co_await asio::co_spawn(
      server_.script_executor(),
      [&]() -> asio::awaitable<void> {
        table.Dispatch(ctx);
        co_return;
      },
      asio::use_awaitable);
}

asio::awaitable<void> Connection::RunMonitor() {
  auto exec = stream_.get_executor();
  auto state = std::make_shared<StreamState>(exec);  // outlives this frame if need be
  const auto limit = server_.config().Int(Opt::kClientOutputBufferLimit);
  auto sink = std::make_shared<MonitorSink>(
      static_cast<size_t>(limit),
      MakeStreamWake(exec, state, shared_from_this(), &stream_.socket()));
  server_.monitors().Add(sink);
  if (!co_await Flush()) {  // MONITOR's +OK, now that the sink sees every command
    server_.monitors().Remove(sink.get());
    co_return;
  }
  // The client sends nothing more that matters; reading finds out when it goes away.
  SpawnStreamDrain(&stream_, state, shared_from_this());
  bool overflowed = false;
  while (!state->closed && !server_.stopping()) {
    std::string lines = sink->Take(&overflowed);
    if (overflowed) break;
    if (lines.empty()) {
      state->wake.expires_at(std::chrono::steady_clock::time_point::max());
      co_await state->wake.async_wait(kAsTuple);
      continue;
    }
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(lines), kAsTuple);
    server_.CountBytes(0, n);
    if (ec) {
      (void)sink->Take(&overflowed);
      break;
    }
  }
  server_.monitors().Remove(sink.get());
  if (overflowed)
    spdlog::warn("Closing monitor {}: it fell more than {} bytes behind", session_.addr, limit);
}

asio::awaitable<bool> Connection::Flush() {
  Status st = co_await WaitDurable(*acks_, server_.commit_log(), barrier_, session_.addr);
  barrier_ = 0;
  if (!st.ok()) {
    out_.clear();
    session_.notifications.clear();  // never acknowledged: never announced
    co_return false;
  }
  if (!session_.notifications.empty()) PublishNotifications(server_, session_);
  if (out_.empty()) co_return true;
  session_.output_buffer_bytes.store(out_.size(), std::memory_order_relaxed);
  auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(out_), kAsTuple);
  server_.CountBytes(0, n);
  server_.resp_latency().ObserveSince(batch_start_, batch_commands_);
  batch_commands_ = 0;
  session_.output_buffer_bytes.store(0, std::memory_order_relaxed);
  out_.clear();
  if (out_.capacity() > (1 << 20)) out_.shrink_to_fit();
  co_return !ec;
}

}  // namespace tally
