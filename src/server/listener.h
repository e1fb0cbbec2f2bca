// Listener: one listening socket (RESP or HTTP) and, on the first, the server's timers.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

namespace tally {

struct Listener {
  Listener(asio::io_context& io, bool is_http)
      : acceptor(io), housekeeping(io), signals(io), http(is_http) {}
  asio::ip::tcp::acceptor acceptor;
  asio::steady_timer housekeeping;
  asio::signal_set signals;
  const bool http;  // accepts HTTP API clients
};

}  // namespace tally
