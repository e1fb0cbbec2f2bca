// AckWaiters: the waits of one io thread for replies' LSNs to be acknowledged, and
// AsyncWaitAcked, the durability wait every front end uses (RESP connections, the HTTP API):
//
//   Status st = co_await AsyncWaitAcked(acks, lsn, asio::use_awaitable);
//
// an Asio asynchronous operation built with async_initiate (any completion token works), so
// nothing in it knows which protocol waits. Instead of one CommitLog callback (and one cross-thread
// post) per connection, the io thread registers one callback, for the smallest LSN it waits for;
// when it fires, the io thread wakes every connection whose LSN is now acknowledged and re-arms for
// the rest. So a commit group costs each io thread one wake-up, however many of its clients it
// answers.
//
// Thread-safety: everything runs on the io thread's executor, except the CommitLog callback,
// which only posts to it.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/awaitable.hpp>
#include <memory>
#include <string_view>
#include <vector>

#include "ack_handler.h"
#include "tally/storage/commit_log.h"
#include "tally/storage/types.h"
#include "tally/util/status.h"

namespace tally {

class AckWaiters : public std::enable_shared_from_this<AckWaiters> {
 public:
  AckWaiters(asio::any_io_executor executor, CommitLog* log) : executor_(executor), log_(log) {}

  // REQUIRES: on the io thread. Calls `done` once, on the io thread and never inline: OK once
  // `lsn` is acknowledged, or the log's failure.
  void Add(Lsn lsn, AckHandler done);

 private:
  struct Waiter {
    Lsn lsn;
    AckHandler done;
  };
  void Arm(Lsn lsn);
  void OnAcked(const Status& st);

  asio::any_io_executor executor_;
  CommitLog* const log_;
  std::vector<Waiter> waiters_;
  Lsn armed_ = 0;             // the LSN of the outstanding CommitLog callback, 0 if none
  bool lead_posted_ = false;  // a CommitLog::Lead() is queued on the io thread
};

// Completes with OK once `lsn` is acknowledged under the current appendfsync policy (at once if
// it already is), or with the log's failure. REQUIRES: on `acks`' io thread.
template <typename Token>
auto AsyncWaitAcked(AckWaiters& acks, Lsn lsn, Token&& token) {
  return asio::async_initiate<Token, void(Status)>(
      [](auto handler, AckWaiters* waiters, Lsn wanted) {
        waiters->Add(wanted, AckHandler(std::move(handler)));
      },
      token, &acks, lsn);
}

// What a connection does before it sends a batch of replies: OK at once if `lsn` (0: nothing)
// is already acknowledged, else the wait above. On failure it logs that `who` is closed.
asio::awaitable<Status> WaitDurable(AckWaiters& acks, CommitLog& log, Lsn lsn,
                                    std::string_view who);

}  // namespace tally
