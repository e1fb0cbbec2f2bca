// What a connection that streams to its client (MONITOR, a subscriber, the HTTP event stream)
// shares with the coroutines and threads that wake it. Everything here runs on, or posts to,
// the connection's executor.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <functional>
#include <memory>

namespace tally {

struct StreamState {
  explicit StreamState(asio::any_io_executor e) : wake(e) {}
  asio::steady_timer wake;  // the streaming loop waits on it; cancel() wakes it
  bool closed = false;      // the client went away
};

// A wake-up for a sink or inbox (called from any thread): wakes the loop and, on overflow,
// cancels what the socket is doing (a write the client is not reading). `owner` keeps the
// socket's connection alive.
inline std::function<void(bool)> MakeStreamWake(asio::any_io_executor exec,
                                                std::shared_ptr<StreamState> state,
                                                std::shared_ptr<void> owner,
                                                asio::ip::tcp::socket* socket) {
  return [exec, state, owner, socket](bool overflowed) {
    asio::post(exec, [state, owner, socket, overflowed] {
      state->wake.cancel();
      std::error_code ec;
      if (overflowed) socket->cancel(ec);
    });
  };
}

// Reads and drops what the client sends until it goes away, then marks `state` closed and
// wakes the loop. `S` is an AsyncReadStream: a TCP socket or a Stream.
template <typename S>
void SpawnStreamDrain(S* socket, std::shared_ptr<StreamState> state, std::shared_ptr<void> owner) {
  asio::co_spawn(
      socket->get_executor(),
      [socket, state, owner]() -> asio::awaitable<void> {
        char scratch[512];
        for (;;) {
          auto [ec, n] = co_await socket->async_read_some(
              asio::buffer(scratch), asio::experimental::as_tuple(asio::use_awaitable));
          if (ec) break;
        }
        state->closed = true;
        state->wake.cancel();
      },
      asio::detached);
}

}  // namespace tally
