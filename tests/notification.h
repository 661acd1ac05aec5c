// A flag one thread raises and another waits for, with a deadline: the handshake between a
// test and the server threads it starts. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace lockstep::testing {

class Notification {
 public:
  void Notify() {
    std::lock_guard lock(mutex_);
    notified_ = true;
    cv_.notify_all();
  }
  // Whether Notify was called, waiting at most `limit` for it.
  bool WaitFor(std::chrono::milliseconds limit) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, limit, [&] { return notified_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool notified_ = false;
};

}  // namespace lockstep::testing
