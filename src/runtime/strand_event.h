// A one-shot event for coroutines that share one strand: Notify wakes every waiter, and a
// wait can be bounded. Used to wake the supervisor when a handler process ends, instead of
// polling for it. Not thread-safe: every call happens on the strand.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <vector>
// boost/asio/awaitable.hpp (1.74) uses std::exchange without including <utility>.
// clang-format off
#include <utility>
#include <boost/asio/awaitable.hpp>
// clang-format on
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace lockstep::runtime {

class StrandEvent {
 public:
  bool notified() const { return notified_; }

  void Notify() {
    notified_ = true;
    for (const std::shared_ptr<boost::asio::steady_timer>& timer : waiters_) timer->cancel();
    waiters_.clear();
  }

  // Waits until Notify or until `timeout` has passed; true when notified.
  boost::asio::awaitable<bool> Wait(std::chrono::steady_clock::duration timeout) {
    if (notified_) co_return true;
    auto executor = co_await boost::asio::this_coro::executor;
    auto timer = std::make_shared<boost::asio::steady_timer>(executor, timeout);
    waiters_.push_back(timer);
    boost::system::error_code ignored;
    auto token = boost::asio::redirect_error(boost::asio::use_awaitable, ignored);
    co_await timer->async_wait(token);
    std::erase(waiters_, timer);
    co_return notified_;
  }

 private:
  bool notified_ = false;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> waiters_;
};

// A mutex for coroutines on one strand: waiters get the lock in the order they asked. Not
// thread-safe, like StrandEvent.
class StrandMutex {
 public:
  boost::asio::awaitable<void> Lock() {
    if (!locked_) {
      locked_ = true;
      co_return;
    }
    auto turn = std::make_shared<StrandEvent>();
    waiters_.push_back(turn);
    bool handed_over = false;
    while (!handed_over) handed_over = co_await turn->Wait(std::chrono::hours(24));
    // Unlock handed the lock over: it stays locked.
  }

  void Unlock() {
    if (waiters_.empty()) {
      locked_ = false;
      return;
    }
    std::shared_ptr<StrandEvent> next = waiters_.front();
    waiters_.erase(waiters_.begin());
    next->Notify();
  }

  bool locked() const { return locked_; }
  size_t waiting() const { return waiters_.size(); }

 private:
  bool locked_ = false;
  std::vector<std::shared_ptr<StrandEvent>> waiters_;
};

}  // namespace lockstep::runtime
