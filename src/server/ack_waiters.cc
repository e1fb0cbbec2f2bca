#include "ack_waiters.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

namespace tally {

void AckWaiters::Add(Lsn lsn, AckHandler done) {
  if (lsn <= log_->ack_lsn()) {  // never inline: complete through the io thread's queue
    asio::post(executor_, [done = std::move(done)]() mutable { done(Status::OK()); });
    return;
  }
  waiters_.push_back(Waiter{lsn, std::move(done)});
  if (armed_ == 0 || lsn < armed_) Arm(lsn);
}

void AckWaiters::Arm(Lsn lsn) {
  armed_ = lsn;
  log_->WhenAcked(
      lsn,
      [self = shared_from_this()](Status st) {
        // On the thread that wrote the record (or inline): hand over to the io thread.
        asio::post(self->executor_, [self, st = std::move(st)] { self->OnAcked(st); });
      },
      CommitLog::AckWake::kCallerLeads);
  if (lead_posted_) return;
  // After the handlers already queued (the rest of this pass's connections), so their records
  // go in the same group.
  lead_posted_ = true;
  asio::post(executor_, [self = shared_from_this()] {
    self->lead_posted_ = false;
    self->log_->Lead();
  });
}

void AckWaiters::OnAcked(const Status& st) {
  const Lsn acked = log_->ack_lsn();
  if (armed_ <= acked || !st.ok()) armed_ = 0;
  std::vector<Waiter> ready;
  size_t kept = 0;
  for (auto& w : waiters_) {
    if (w.lsn <= acked || !st.ok()) {
      ready.push_back(std::move(w));
    } else {
      waiters_[kept++] = std::move(w);
    }
  }
  waiters_.erase(waiters_.begin() + static_cast<std::ptrdiff_t>(kept), waiters_.end());
  if (!waiters_.empty() && armed_ == 0) {
    Lsn next = waiters_.front().lsn;
    for (const auto& w : waiters_) next = std::min(next, w.lsn);
    Arm(next);
  }
  // A waiter acknowledged before the log failed still gets OK.
  for (auto& w : ready) w.done(w.lsn <= acked ? Status::OK() : st);
}

asio::awaitable<Status> WaitDurable(AckWaiters& acks, CommitLog& log, Lsn lsn,
                                    std::string_view who) {
  if (lsn == 0 || lsn <= log.ack_lsn()) co_return Status::OK();
  Status st = co_await AsyncWaitAcked(acks, lsn, asio::use_awaitable);
  // The state these replies reveal may never become durable: the caller sends none of them.
  if (!st.ok())
    spdlog::warn("Closing client {}: its replies wait on a failed log ({})", who, st.ToString());
  co_return st;
}

}  // namespace tally
