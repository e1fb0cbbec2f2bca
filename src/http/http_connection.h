// HttpConnection: one HTTP/1.1 client, one C++20 coroutine on one io thread, as a RESP
// Connection is. Requests are parsed with Node's http_parser (Debian's libhttp-parser, the
// parser RESTinio wraps); each complete request goes to the HttpApi, which runs commands
// through the same command table and returns the LSN its response reveals. As for RESP, every
// complete request in the input is answered, then one durability wait covers all of their
// responses and one write sends them (keep-alive and pipelining).
//
// Limits (from the config): request headers past http-max-header-bytes get 431, bodies past
// http-max-body-bytes 413, malformed requests 400, each with "Connection: close"; a request
// that has not fully arrived http-request-timeout seconds after its first byte (a slowloris
// client), or a connection idle for http-idle-timeout seconds, is closed.
//
// Thread-safety: Run() and everything it calls run on the connection's executor. Stop() may
// be called from any thread.
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "../server/client.h"
#include "http_request.h"
#include "request_parser.h"
#include "tally/storage/types.h"

namespace tally {

class AckWaiters;
class HttpApi;
class Server;

class HttpConnection : public Client, public std::enable_shared_from_this<HttpConnection> {
 public:
  HttpConnection(asio::ip::tcp::socket socket, Server& server, HttpApi& api,
                 std::shared_ptr<AckWaiters> acks, uint64_t id);

  asio::awaitable<void> Run();
  void Stop() override;
  const Session& session() const override { return session_; }
  asio::any_io_executor executor() { return socket_.get_executor(); }

 private:
  // Parses and answers what is in the input. Returns false to close (after flushing).
  bool ProcessInput();
  void Answer();            // the request just parsed
  void Reject(int status);  // input that is not a request, or past a limit (400, 413, 431)
  asio::awaitable<bool> Flush();
  asio::awaitable<void> Watchdog();  // request and idle deadlines
  // GET /v1/events: streams the matching events (EventHub) as Server-Sent Events, with a
  // comment every 15 s, until the client goes away or falls too far behind.
  asio::awaitable<void> RunEvents();

  asio::ip::tcp::socket socket_;
  asio::steady_timer watchdog_;
  Server& server_;
  HttpApi& api_;
  std::shared_ptr<AckWaiters> acks_;
  Session session_;
  RequestParser parser_;
  int64_t request_start_ms_ = 0;  // 0 unless a request is partly read
  bool events_ = false;           // the last request asked for the event stream
  std::string events_keys_;
  int events_db_ = 0;
  std::string in_;
  std::string out_;
  Lsn barrier_ = 0;
  bool close_ = false;
  std::chrono::steady_clock::time_point batch_start_;  // when the batch's bytes arrived
  uint64_t batch_requests_ = 0;                        // answered, not yet sent
};

}  // namespace tally
