// Connection: one client, one C++20 coroutine on one io_context thread. It reads bytes into its
// input buffer, parses and executes every complete command in it, then (under appendfsync
// always) waits until the commit log has made durable everything the batch's replies reveal,
// and sends all the replies in one write. A partial command waits for more bytes.
//
// Thread-safety: Run() and everything it calls run on the connection's executor. Stop() may be
// called from any thread. session() may be read from any thread (see Session).
#pragma once

#include <asio/awaitable.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "client.h"
#include "stream.h"
#include "tally/commands/session.h"
#include "tally/protocol/reply_writer.h"
#include "tally/protocol/resp_parser.h"
#include "tally/storage/types.h"
#include "tally/util/status.h"

namespace tally {

class AckWaiters;
class Server;
struct CommandContext;

class Connection : public Client, public std::enable_shared_from_this<Connection> {
 public:
  // `acks` belongs to the io thread the stream's executor runs on. A TLS stream's handshake is
  // the first thing Run() does; a client that fails it is closed without a reply.
  Connection(Stream stream, Server& server, std::shared_ptr<AckWaiters> acks, uint64_t id);

  asio::awaitable<void> Run();
  // Asks the connection to finish its current batch and close. Any thread.
  void Stop() override;
  const Session& session() const override { return session_; }
  asio::any_io_executor executor() { return stream_.get_executor(); }

 private:
  // Executes every complete command in the input buffer. Returns false to close.
  asio::awaitable<bool> ProcessInput();
  // The TLS handshake, if the stream is TLS. False (logged) if it failed.
  asio::awaitable<bool> Handshake();
  // Pipelined commands: parses ahead (from rpos_) up to 16 complete commands and hints the
  // keyspace to prefetch the keys they name (their first argument: the key of nearly every
  // data command; a wrong guess costs one wasted prefetch), so that their cache misses overlap.
  // Sets scouted_ to where it stopped. When it found nothing worth prefetching (one command
  // alone, or a table small enough to stay in cache), the next 64 reads are not scouted.
  void PrefetchKeys();
  // CLIENT REPLY OFF/SKIP: drops the reply the last command wrote from `reply_start` on.
  void ApplyReplyMode(size_t reply_start);
  // The slow path of one command (ctx.may_defer set): waits while a script runs (not past
  // busy-reply-threshold), and runs a deferred script command on the server's script thread.
  asio::awaitable<void> Execute(CommandContext& ctx);
  // Waits until the replies' barrier is acknowledged, then writes them. False on error.
  asio::awaitable<bool> Flush();
  void PrepareRead();
  // MONITOR mode: streams the lines fed to this connection until it closes or overflows.
  asio::awaitable<void> RunMonitor();
  // Once the client has subscribed (connection_pubsub.cc): a reader coroutine feeds the input
  // buffer, and this loop, the only writer, runs commands and sends published messages
  // between their replies, until the client goes away or falls too far behind.
  asio::awaitable<void> RunPubSub();

  Stream stream_;
  Server& server_;
  std::shared_ptr<AckWaiters> acks_;
  Session session_;
  RespParser parser_;
  std::vector<std::string_view> args_;
  RespParser scout_;  // PrefetchKeys' own, so that parser_ is never ahead of execution
  std::vector<std::string_view> scout_args_;
  size_t scouted_ = 0;          // PrefetchKeys parsed up to here
  uint32_t prefetch_idle_ = 0;  // reads left before PrefetchKeys scouts again
  std::string in_;
  size_t rpos_ = 0;  // start of the first unparsed command
  size_t wpos_ = 0;  // end of the bytes read
  std::string out_;
  ReplyWriter writer_;
  Lsn barrier_ = 0;
  bool stop_requested_ = false;  // set by Stop(), on this connection's executor
  // For the latency histogram: when the batch's bytes arrived, and its commands not yet sent.
  std::chrono::steady_clock::time_point batch_start_;
  // The last clock reading of this batch: when it was read, then when each command ended.
  std::chrono::steady_clock::time_point batch_clock_;
  uint64_t batch_commands_ = 0;
};

}  // namespace tally
