// Signal handling for SubprocessSet: catches SIGINT, SIGTERM and SIGHUP (reported as an
// interrupt) and SIGCHLD (a child changed state), and turns each into a readable byte on a
// pipe that a poll loop can wait on.
//
// The handlers are process-wide. They are installed when the first watcher is created and the
// previous handlers are restored when the last one is destroyed, so several SubprocessSets may
// exist at once, also on different threads; each watcher is used from one thread.
#pragma once

#include <cstdint>

namespace lockstep::exec {

class SignalWatcher {
 public:
  SignalWatcher();
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // Readable after any of the four signals arrived since the last Drain(); -1 when no wake-up
  // pipe was free (more than 64 watchers at once), in which case the owner must poll with a
  // short timeout.
  int wake_fd() const { return wake_fd_; }
  // Empties the wake-up pipe.
  void Drain();

  // Whether an interrupting signal arrived since this watcher was created, and the last one.
  bool interrupted() const;
  int interrupt_signal() const;
  // True once for every interrupt that arrived since the last call (edge-triggered).
  bool TakeInterrupt();

 private:
  int slot_ = -1;
  int wake_fd_ = -1;
  uint64_t interrupts_at_start_ = 0;
  uint64_t interrupts_seen_ = 0;
};

}  // namespace lockstep::exec
