#include "http_connection.h"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cctype>

#include "../server/ack_waiters.h"
#include "../server/events.h"
#include "../server/stream_state.h"
#include "http_api.h"
#include "tally/protocol/errors.h"
#include "tally/server/server.h"
#include "tally/util/clock.h"

namespace tally {
namespace {

constexpr size_t kReadChunk = 16 * 1024;
constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);

}  // namespace

HttpConnection::HttpConnection(asio::ip::tcp::socket socket, Server& server, HttpApi& api,
                               std::shared_ptr<AckWaiters> acks, uint64_t id)
    : socket_(std::move(socket)),
      watchdog_(socket_.get_executor()),
      server_(server),
      api_(api),
      acks_(std::move(acks)),
      parser_(static_cast<size_t>(server.config().Int(Opt::kHttpMaxHeaderBytes)),
              static_cast<size_t>(server.config().Int(Opt::kHttpMaxBodyBytes))) {
  InitSession(socket_, id, &session_);
  session_.last_command.store("http");
}

void HttpConnection::Stop() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    std::error_code ec;
    self->socket_.cancel(ec);
    self->watchdog_.cancel();
  });
}

bool HttpConnection::ProcessInput() {
  size_t pos = 0;
  while (pos < in_.size() && !close_) {
    size_t n = 0;
    auto result = parser_.Parse(std::string_view(in_).substr(pos), &n);
    pos += n;
    if (result == RequestParser::Result::kError) {
      Reject(parser_.error_status());
      return false;
    }
    if (result == RequestParser::Result::kRequest) {
      Answer();
    } else if (n == 0) {
      break;
    }
  }
  in_.erase(0, pos);
  // The request deadline runs from the read that brought a request's first bytes.
  if (!parser_.in_request()) {
    request_start_ms_ = 0;
  } else if (request_start_ms_ == 0) {
    request_start_ms_ = NowMs();
  }
  return !close_;
}

void HttpConnection::Answer() {
  const bool keep_alive = parser_.keep_alive();
  HttpResponse response;
  Lsn lsn = api_.Handle(parser_.request(), &response);
  server_.CountCommand();
  if (lsn > barrier_) barrier_ = lsn;
  if (response.event_stream) {
    events_ = close_ = true;  // nothing after it is read
    events_keys_ = std::move(response.events_keys);
    events_db_ = response.events_db;
    out_.append(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
        "X-Accel-Buffering: no\r\n\r\n: tally events\n\n");
    return;
  }
  close_ = !keep_alive || server_.stopping();
  AppendHttpResponse(response, close_, &out_);
  ++batch_requests_;
}

void HttpConnection::Reject(int status) {
  namespace herr = errors::http;
  HttpResponse response;
  response.status = status;
  response.body = status == 413   ? HttpApi::ErrorBody(herr::kTooLarge, herr::kBodyTooLarge)
                  : status == 431 ? HttpApi::ErrorBody(herr::kTooLarge, herr::kHeadersTooLarge)
                                  : HttpApi::ErrorBody(herr::kBadRequest, herr::kMalformed);
  AppendHttpResponse(response, /*close=*/true, &out_);
  close_ = true;
}

asio::awaitable<bool> HttpConnection::Flush() {
  Status st = co_await WaitDurable(*acks_, server_.commit_log(), barrier_, session_.addr);
  barrier_ = 0;
  if (!st.ok()) {
    out_.clear();
    co_return false;
  }
  if (out_.empty()) co_return true;
  auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out_), kAsTuple);
  server_.CountBytes(0, n);
  server_.http_latency().ObserveSince(batch_start_, batch_requests_);
  batch_requests_ = 0;
  out_.clear();
  if (out_.capacity() > (1 << 20)) out_.shrink_to_fit();
  co_return !ec;
}

asio::awaitable<void> HttpConnection::Run() {
  auto self = shared_from_this();
  asio::co_spawn(socket_.get_executor(), Watchdog(), asio::detached);
  std::string chunk(kReadChunk, '\0');
  while (!server_.stopping()) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(chunk), kAsTuple);
    if (ec) break;
    session_.last_interaction_ms.store(NowMs(), std::memory_order_relaxed);
    batch_start_ = std::chrono::steady_clock::now();
    server_.CountBytes(n, 0);
    in_.append(chunk.data(), n);
    const bool go_on = ProcessInput();
    if (!co_await Flush()) break;
    if (events_) {
      co_await RunEvents();
      break;
    }
    if (!go_on) break;
  }
  std::error_code ec;
  watchdog_.cancel();
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  socket_.close(ec);
  server_.Unregister(session_.id);
}

asio::awaitable<void> HttpConnection::Watchdog() {
  auto self = shared_from_this();
  const int64_t request_ms = server_.config().Int(Opt::kHttpRequestTimeout) * 1000;
  const int64_t idle_ms = server_.config().Int(Opt::kHttpIdleTimeout) * 1000;
  while (socket_.is_open()) {
    watchdog_.expires_after(std::chrono::milliseconds(250));
    auto [ec] = co_await watchdog_.async_wait(kAsTuple);
    if (ec || !socket_.is_open()) co_return;
    if (events_) co_return;  // an event stream has no deadline
    const int64_t now = NowMs();
    const bool slow = request_start_ms_ != 0 && now - request_start_ms_ > request_ms;
    const bool idle = request_start_ms_ == 0 && barrier_ == 0 &&
                      now - session_.last_interaction_ms.load() > idle_ms;
    if (slow || idle) {
      if (slow) spdlog::info("Closing HTTP client {}: request too slow", session_.addr);
      std::error_code cec;
      socket_.cancel(cec);
      co_return;
    }
  }
}

asio::awaitable<void> HttpConnection::RunEvents() {
  auto exec = socket_.get_executor();
  auto state = std::make_shared<StreamState>(exec);
  auto inbox = std::make_shared<Subscriber>(
      static_cast<size_t>(server_.config().Int(Opt::kClientOutputBufferLimitPubsub)));
  inbox->set_wake(MakeStreamWake(exec, state, shared_from_this(), &socket_));
  server_.event_hub().Add(inbox, events_keys_, events_db_);
  SpawnStreamDrain(&socket_, state, shared_from_this());  // what the client sends is ignored
  bool overflowed = false;
  while (!state->closed && !server_.stopping()) {
    std::vector<PubSubMessage> events = inbox->Take(&overflowed);
    if (overflowed) break;
    if (events.empty()) {
      state->wake.expires_after(std::chrono::seconds(15));
      auto [ec] = co_await state->wake.async_wait(kAsTuple);
      if (ec) continue;  // woken: events or a close
      out_.append(": keepalive\n\n");
    }
    for (const PubSubMessage& e : events) {
      out_.append("event: ").append(e.channel).append("\ndata: ").append(e.payload).append("\n\n");
    }
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(out_), kAsTuple);
    server_.CountBytes(0, n);
    out_.clear();
    if (ec) break;
  }
  server_.event_hub().Remove(inbox.get());
  inbox->set_wake(nullptr);
  std::error_code ec;
  socket_.cancel(ec);
}

}  // namespace tally
