// Listener: one listening socket (RESP, RESP over TLS, or HTTP) and, on the first, the
// server's timers.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>

#include "tally/server/server.h"

namespace tally {

struct Listener {
  Listener(asio::io_context& io, ListenKind k)
      : acceptor(io), housekeeping(io), signals(io), kind(k) {}
  asio::ip::tcp::acceptor acceptor;
  asio::steady_timer housekeeping;
  asio::signal_set signals;
  const ListenKind kind;
};

}  // namespace tally
