// One attempt of one action that runs Steps: from an empty folder to a running process, and
// from the process's end to stored outputs and a closed log. The executor decides what state
// the action is in; an attempt only does the work and reports what happened. Internal to the
// engine. Not thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/action_log.h"
#include "engine/file_cache.h"
#include "engine/run_request.h"
#include "engine/run_setup.h"
#include "engine/source_snapshot.h"
#include "engine/substitute.h"
#include "exec/subprocess_set.h"
#include "store/store.h"

namespace lockstep::engine {

// What every attempt of a run shares. References stay owned by the executor.
struct AttemptContext {
  const RunRequest* request = nullptr;
  const PreparedRun* run = nullptr;
  store::Store* store = nullptr;
  store::RunId run_id = 0;
  std::filesystem::path run_directory;
  const SourceSnapshot* snapshot = nullptr;  // null when no action needs sources
  std::map<std::string, std::filesystem::path>* artifacts = nullptr;  // stored so far
  ReferenceResolver value_of;  // values of ${Action.Var} and ${WorkflowSource.*}, not secrets
  FileCache* cache = nullptr;
  std::string owner_tag;  // put in every action's environment for crash recovery
};

// How an attempt ended, as far as the attempt can tell.
struct AttemptOutcome {
  store::ActionState state = store::ActionState::kSucceeded;
  std::string reason;  // masked
  std::optional<int> exit_code;
  std::map<std::string, std::string> outputs;  // output variables, masked
  std::optional<store::TestCounts> tests;
};

class ActionAttempt {
 public:
  // `log_path` is where this attempt's log goes (recorded in the store by the caller first);
  // `workspace` the folder it runs in (see action_workspace.h).
  ActionAttempt(const AttemptContext& context, const PreparedAction& action,
                std::filesystem::path log_path, std::filesystem::path workspace);

  // Opens the log, prepares the workspace, writes the step program and starts it.
  Result<exec::ProcessId> Start(exec::SubprocessSet& processes);

  // After the process ended: reads the step results, test reports (failed or not) and, when
  // it succeeded, output variables and artifacts, which are stored.
  AttemptOutcome Collect(const exec::ProcessResult& result, const std::string& cancel_reason);

  // Saves the action's FileCaching entries; call only for an attempt that succeeded.
  void SaveCaches();

  // Notes `reason` in the log (masked) and closes it; a failed close turns a success into a
  // failure.
  void Close(AttemptOutcome& outcome);

  // Masks the values of the secrets this action can see.
  std::string Mask(std::string_view text) const;

  void FlushLog();
  bool has_source() const { return has_source_; }
  const std::filesystem::path& workspace() const { return workspace_; }
  const std::vector<std::string>& log_tail() const { return log_tail_; }

 private:
  std::filesystem::path OutputsFile() const;
  std::vector<std::string> Environment(
      const std::vector<std::pair<std::string, std::string>>& reference_values) const;

  const AttemptContext& context_;
  // Declared output variables, then the ones a native action sets of its own.
  std::vector<std::string> OutputNames() const;

  const PreparedAction& action_;
  std::filesystem::path log_path_;
  std::unique_ptr<ActionLog> log_;
  std::filesystem::path workspace_;
  std::filesystem::path default_dir_;
  std::filesystem::path temp_dir_;
  bool has_source_ = false;
  std::vector<std::string> secret_values_;
  std::vector<std::string> log_tail_;
};

}  // namespace lockstep::engine
