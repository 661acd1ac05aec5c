// A lockstep process started in the background, for tests that signal it, kill it, or run
// two at once. Its output goes to files so it can never block on a full pipe. Not
// thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "run_binary.h"

namespace lockstep::testing {

class BackgroundLockstep {
 public:
  // Starts lockstep with `arguments` in `directory` with the same minimal environment as
  // RunLockstep plus `environment`.
  BackgroundLockstep(const std::vector<std::string>& arguments,
                     const std::filesystem::path& directory,
                     const std::vector<std::string>& environment = {});
  ~BackgroundLockstep();  // kills (SIGKILL) and reaps it if still running

  pid_t pid() const { return pid_; }
  void Signal(int signal) const;
  // Waits for the process to end and returns what it printed.
  CommandOutput Wait();
  // Standard output so far.
  std::string OutputSoFar() const;

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::filesystem::path out_path_;
  std::filesystem::path err_path_;
};

// Whether process `pid` has exited and waits to be reaped by its parent (a daemon reparented
// to an init that does not reap counts as dead).
bool ProcessIsZombie(pid_t pid);

// Polls `condition` until it holds or `timeout` passes; returns whether it held.
bool WaitUntil(const std::function<bool()>& condition,
               std::chrono::milliseconds timeout = std::chrono::seconds(30));

}  // namespace lockstep::testing
