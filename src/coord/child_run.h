// One workflow run of a rollout, as a `lockstep run --json` process of its own: the engine
// handles signals and child processes process-wide, which a server with many threads must not
// share. Its progress goes to a log file; its summary comes back as JSON. Blocking;
// thread-safe.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "base/error.h"

namespace lockstep::coord {

struct ChildRunRequest {
  std::filesystem::path executable;  // the lockstep binary
  std::filesystem::path repository;  // work tree
  std::string workflow;              // file relative to the repository, or Name
  std::string commit;
  std::vector<std::string> variables;  // "NAME=value", each a --var
  bool approve = false;
  std::vector<std::string> environment;  // complete; LOCKSTEP_HOME and the tag included
  std::filesystem::path log_file;        // the run's progress output
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
  // Polled while the run goes on; once true the run is stopped (SIGTERM to its group).
  std::function<bool()> stop = [] { return false; };
};

struct ChildRunResult {
  int64_t run_id = 0;   // 0 when the run was refused before it was recorded
  std::string state;    // "succeeded", "failed", "cancelled", …
  std::string reason;   // why it did not succeed: the run's reason and its failed actions
  std::string process;  // how the process ended when not by itself ("timed out after 1h")
  bool succeeded() const { return state == "succeeded"; }
};

// Runs the workflow to its end. Fails only when the process cannot be started; a run that
// was refused (bad workflow, unknown commit) is a result with the message as reason.
Result<ChildRunResult> RunWorkflowProcess(const ChildRunRequest& request);

}  // namespace lockstep::coord
