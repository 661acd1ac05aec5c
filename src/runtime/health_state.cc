#include "runtime/health_state.h"

#include <algorithm>

namespace lockstep::runtime {

HealthTracker::HealthTracker(int healthy_threshold, int unhealthy_threshold)
    : healthy_threshold_(std::max(1, healthy_threshold)),
      unhealthy_threshold_(std::max(1, unhealthy_threshold)) {}

std::optional<HealthTracker::State> HealthTracker::Record(bool passed) {
  State next = state_;
  if (passed) {
    failures_ = 0;
    if (++passes_ >= healthy_threshold_) next = State::kHealthy;
  } else {
    passes_ = 0;
    // A handler that never passed is unhealthy at once only after the same count.
    if (++failures_ >= unhealthy_threshold_) next = State::kUnhealthy;
  }
  if (next == state_) return std::nullopt;
  state_ = next;
  return state_;
}

CrashLoopDetector::CrashLoopDetector(int failures, std::chrono::milliseconds window)
    : failures_(std::max(1, failures)), window_(window) {}

bool CrashLoopDetector::RecordFailure(Clock::time_point now) {
  times_.push_back(now);
  while (!times_.empty() && now - times_.front() > window_) times_.pop_front();
  return static_cast<int>(times_.size()) >= failures_;
}

std::chrono::milliseconds RestartBackoff(int attempt) {
  constexpr std::chrono::milliseconds kFirst(250);
  constexpr std::chrono::milliseconds kMost(8000);
  std::chrono::milliseconds wait = kFirst;
  for (int i = 1; i < attempt && wait < kMost; ++i) wait *= 2;
  return std::min(wait, kMost);
}

}  // namespace lockstep::runtime
