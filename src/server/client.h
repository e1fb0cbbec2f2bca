// Client: what the server keeps of every connection, whatever its protocol (RESP or HTTP):
// maxclients, CLIENT LIST, idle timeouts and shutdown go through it.
#pragma once

#include "tally/commands/session.h"

namespace tally {

class Client {
 public:
  virtual ~Client() = default;
  // Asks the connection to finish what it is doing and close. Any thread.
  virtual void Stop() = 0;
  virtual const Session& session() const = 0;
};

}  // namespace tally
