// AckHandler: a move-only, type-erased completion handler for void(Status), as the durability
// wait stores them (std::function needs copyable handlers; Asio's are move-only). Calling it
// completes the handler through its associated executor (asio::dispatch), as Asio requires.
#pragma once

#include <asio/associated_executor.hpp>
#include <asio/dispatch.hpp>
#include <memory>
#include <type_traits>
#include <utility>

#include "tally/util/status.h"

namespace tally {

class AckHandler {
 public:
  template <typename Handler,
            typename = std::enable_if_t<!std::is_same_v<std::decay_t<Handler>, AckHandler>>>
  explicit AckHandler(Handler&& h)
      : impl_(std::make_unique<Impl<std::decay_t<Handler>>>(std::forward<Handler>(h))) {}

  // Completes the handler with `st`. REQUIRES: called at most once.
  void operator()(Status st) {
    std::unique_ptr<Base> impl = std::move(impl_);
    impl->Complete(std::move(st));
  }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void Complete(Status st) = 0;
  };
  template <typename Handler>
  struct Impl : Base {
    explicit Impl(Handler h) : handler(std::move(h)) {}
    void Complete(Status st) override {
      auto ex = asio::get_associated_executor(handler);
      asio::dispatch(ex, [h = std::move(handler), st = std::move(st)]() mutable {
        std::move(h)(std::move(st));
      });
    }
    Handler handler;
  };
  std::unique_ptr<Base> impl_;
};

}  // namespace tally
