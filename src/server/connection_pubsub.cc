// Connection::RunPubSub: a subscribed client reads and is written to at the same time.
#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "connection.h"
#include "stream_state.h"
#include "tally/commands/command_table.h"
#include "tally/server/server.h"
#include "tally/util/clock.h"

namespace tally {
namespace {
constexpr auto kAsTuple = asio::experimental::as_tuple(asio::use_awaitable);
}  // namespace

asio::awaitable<void> Connection::RunPubSub() {
  // Shared with the reader and the publishers' wake-ups, which may outlive this frame.
  struct State : StreamState {
    using StreamState::StreamState;
    bool input = false;  // bytes arrived since the loop last ran the commands
  };
  auto exec = stream_.get_executor();
  auto state = std::make_shared<State>(exec);
  std::shared_ptr<Subscriber> subscriber = session_.subscriber;
  subscriber->set_wake(MakeStreamWake(exec, state, shared_from_this(), &stream_.socket()));
  const int64_t query_limit = server_.config().Int(Opt::kClientQueryBufferLimit);
  asio::co_spawn(
      exec,
      [self = shared_from_this(), state, query_limit]() -> asio::awaitable<void> {
        while (!state->closed) {
          self->PrepareRead();
          auto [ec, n] = co_await self->stream_.async_read_some(
              asio::buffer(self->in_.data() + self->wpos_, self->in_.size() - self->wpos_),
              kAsTuple);
          if (ec) break;
          self->wpos_ += n;
          self->server_.CountBytes(n, 0);
          self->session_.last_interaction_ms.store(NowMs(), std::memory_order_relaxed);
          if (static_cast<int64_t>(self->wpos_ - self->rpos_) > query_limit) break;
          state->input = true;
          state->wake.cancel();
        }
        state->closed = true;
        state->wake.cancel();
      },
      asio::detached);
  bool overflowed = false;
  while (!state->closed && !server_.stopping()) {
    if (state->input) {
      state->input = false;
      batch_start_ = std::chrono::steady_clock::now();
      batch_clock_ = batch_start_;
      if (!co_await ProcessInput()) break;
      continue;
    }
    std::vector<PubSubMessage> messages = subscriber->Take(&overflowed);
    if (overflowed) break;
    if (messages.empty()) {
      state->wake.expires_at(std::chrono::steady_clock::time_point::max());
      co_await state->wake.async_wait(kAsTuple);
      continue;
    }
    const int protocol = session_.resp.load(std::memory_order_relaxed);
    for (const PubSubMessage& m : messages) WritePubSubMessage(m, writer_, protocol);
    if (!co_await Flush()) break;
  }
  state->closed = true;
  std::error_code ec;
  stream_.socket().cancel(ec);  // ends the reader
  subscriber->set_wake(nullptr);
  if (!overflowed) (void)subscriber->Take(&overflowed);  // a cancelled write ended the loop
  if (overflowed) {
    spdlog::warn("Closing subscriber {}: it fell more than {} bytes behind", session_.addr,
                 server_.config().Int(Opt::kClientOutputBufferLimitPubsub));
  }
}

}  // namespace tally
