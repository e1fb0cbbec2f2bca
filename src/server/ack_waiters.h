// AckWaiters: the connections of one io thread that wait for their replies' LSN to be
// acknowledged. Instead of one CommitLog callback (and one cross-thread post) per connection,
// the io thread registers one callback, for the smallest LSN it waits for; when it fires, the
// io thread wakes every connection whose LSN is now acknowledged and re-arms for the rest. So
// a commit group costs each io thread one wake-up, however many of its clients it answers.
//
// Thread-safety: everything runs on the io thread's executor, except the CommitLog callback,
// which only posts to it.
#pragma once

#include <asio/any_io_executor.hpp>
#include <memory>
#include <vector>

#include "tally/storage/commit_log.h"
#include "tally/storage/types.h"
#include "tally/util/status.h"

namespace tally {

class Connection;

class AckWaiters : public std::enable_shared_from_this<AckWaiters> {
 public:
  AckWaiters(asio::any_io_executor executor, CommitLog* log) : executor_(executor), log_(log) {}

  // REQUIRES: on the io thread. Calls conn->OnAcked() once, on the io thread and never inline:
  // OK once `lsn` is acknowledged, or the log's failure.
  void Add(Lsn lsn, std::shared_ptr<Connection> conn);

 private:
  struct Waiter {
    Lsn lsn;
    std::shared_ptr<Connection> conn;
  };
  void Arm(Lsn lsn);
  void OnAcked(const Status& st);

  asio::any_io_executor executor_;
  CommitLog* const log_;
  std::vector<Waiter> waiters_;
  Lsn armed_ = 0;  // the LSN of the outstanding CommitLog callback, 0 if none
};

}  // namespace tally
