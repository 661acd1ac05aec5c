// The bookkeeping of a handler's health, kept apart from sockets and timers so that it can be
// tested exactly: consecutive check results against thresholds, crash loops within a time
// window, and the backoff between restarts. Pure; thread-compatible.
#pragma once

#include <chrono>
#include <deque>
#include <optional>

namespace lockstep::runtime {

// Turns health-check results into a state, as load balancers do: `healthy_threshold` passes
// in a row make a handler healthy, `unhealthy_threshold` failures in a row unhealthy.
class HealthTracker {
 public:
  enum class State { kUnknown, kHealthy, kUnhealthy };

  HealthTracker(int healthy_threshold, int unhealthy_threshold);

  // Records one check; returns the new state when this check changed it.
  std::optional<State> Record(bool passed);
  State state() const { return state_; }

 private:
  int healthy_threshold_;
  int unhealthy_threshold_;
  int passes_ = 0;
  int failures_ = 0;
  State state_ = State::kUnknown;
};

// A crash loop: `failures` exits or health failures within `window` (by default 3 in 60 s).
class CrashLoopDetector {
 public:
  using Clock = std::chrono::steady_clock;

  explicit CrashLoopDetector(int failures = 3,
                             std::chrono::milliseconds window = std::chrono::seconds(60));

  // Records a failure at `now`; true when this failure completes a crash loop.
  bool RecordFailure(Clock::time_point now);
  // Forgets the failures (after a move to another candidate).
  void Reset() { times_.clear(); }

 private:
  int failures_;
  std::chrono::milliseconds window_;
  std::deque<Clock::time_point> times_;
};

// The wait before restart `attempt` (1 for the first restart): 250 ms doubling to at most 8 s.
std::chrono::milliseconds RestartBackoff(int attempt);

}  // namespace lockstep::runtime
