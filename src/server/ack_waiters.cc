#include "ack_waiters.h"

#include <algorithm>
#include <asio/post.hpp>

#include "connection.h"

namespace tally {

void AckWaiters::Add(Lsn lsn, std::shared_ptr<Connection> conn) {
  waiters_.push_back(Waiter{lsn, std::move(conn)});
  if (armed_ == 0 || lsn < armed_) Arm(lsn);
}

void AckWaiters::Arm(Lsn lsn) {
  armed_ = lsn;
  log_->WhenAcked(lsn, [self = shared_from_this()](Status st) {
    // On the commit thread (or inline): hand over to the io thread.
    asio::post(self->executor_, [self, st = std::move(st)] { self->OnAcked(st); });
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
  waiters_.resize(kept);
  if (!waiters_.empty() && armed_ == 0) {
    Lsn next = waiters_.front().lsn;
    for (const auto& w : waiters_) next = std::min(next, w.lsn);
    Arm(next);
  }
  // A waiter acknowledged before the log failed still gets OK.
  for (auto& w : ready) w.conn->OnAcked(w.lsn <= acked ? Status::OK() : st);
}

}  // namespace tally
