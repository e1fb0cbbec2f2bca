// Client: what the server keeps of every connection, whatever its protocol (RESP or HTTP):
// maxclients, CLIENT LIST, idle timeouts and shutdown go through it.
#pragma once

#include <asio/ip/tcp.hpp>
#include <cstdint>

#include "tally/commands/session.h"

namespace tally {

class Client {
 public:
  virtual ~Client() = default;
  // Asks the connection to finish what it is doing and close. Any thread.
  virtual void Stop() = 0;
  virtual const Session& session() const = 0;
};

// Fills a new connection's session from its socket (id, addresses, fd, times) and turns off
// Nagle's algorithm on the socket.
void InitSession(asio::ip::tcp::socket& socket, uint64_t id, Session* session);

}  // namespace tally
