// Everything decided before a run starts, and refused before anything is recorded: the
// repository, the workflow (found by Name or file, checked), the commit, how each action will
// run locally, and the secrets it needs. Internal to the engine. Thread-compatible.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "engine/run_request.h"
#include "git/repository.h"
#include "workflow/action_configuration.h"
#include "workflow/model.h"

namespace lockstep::engine {

struct PreparedAction {
  const workflow::Action* action = nullptr;
  enum class Mode { kSteps, kApproval, kSkip } mode = Mode::kSteps;
  std::vector<std::string> steps;             // Run texts as written
  std::vector<std::string> built_in_outputs;  // output variables a native action sets
  std::string skip_reason;
  std::vector<std::string> secrets;  // names referenced by ${Secrets.NAME}
  bool stand_in = false;             // steps come from .lockstep/local-actions.yaml
  bool sandbox = false;              // run under bubblewrap (--sandbox, or listed in Sandbox)
  bool network = false;              // keep the network in the sandbox
};

struct PreparedRun {
  git::Repository repository;
  std::filesystem::path root;  // the work tree
  std::string workflow_file;   // relative to root
  workflow::Workflow workflow;
  std::string commit;
  std::string branch;
  std::vector<PreparedAction> actions;  // parallel to workflow.actions
  bool needs_source = false;            // some action lists WorkflowSource
};

// Resolves and checks everything for a new run (or, with `resumed`, for continuing it: its
// workflow file and commit are taken from the record).
Result<PreparedRun> PrepareRun(const RunRequest& request,
                               const std::optional<store::RunRecord>& resumed);

}  // namespace lockstep::engine
