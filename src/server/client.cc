#include "client.h"

#include <string>

#include "tally/util/clock.h"

namespace tally {
namespace {

std::string Endpoint(const asio::ip::tcp::endpoint& ep) {
  std::string addr = ep.address().to_string();
  if (ep.address().is_v6()) addr = "[" + addr + "]";
  return addr + ":" + std::to_string(ep.port());
}

}  // namespace

void InitSession(asio::ip::tcp::socket& socket, uint64_t id, Session* session) {
  std::error_code ec;
  session->id = id;
  auto remote = socket.remote_endpoint(ec);
  if (!ec) session->addr = Endpoint(remote);
  auto local = socket.local_endpoint(ec);
  if (!ec) session->laddr = Endpoint(local);
  session->fd = socket.native_handle();
  session->created_ms = NowMs();
  session->last_interaction_ms = session->created_ms;
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
}

}  // namespace tally
