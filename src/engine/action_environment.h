// The environment an action's steps start with: the clean base (PATH, HOME, LANG, TZ), the
// variables CodeCatalyst actions see, its Inputs.Variables, the run's --var values and the
// secrets it references. Pure; thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "workflow/model.h"

namespace lockstep::engine {

struct ActionEnvironmentInput {
  const workflow::Action* action = nullptr;
  int64_t run_id = 0;
  std::string workflow;
  std::string commit;
  std::string branch;
  std::filesystem::path workspace;    // WorkflowSource/ and artifacts/NAME/ live here
  std::filesystem::path default_dir;  // CATALYST_DEFAULT_DIR
  std::filesystem::path temp_dir;     // TMPDIR
  // Resolves `${…}` in Inputs.Variables values (with real secret values: the environment
  // is not written to disk).
  std::function<std::optional<std::string>(std::string_view)> resolve;
  const std::vector<std::pair<std::string, std::string>>* run_variables = nullptr;  // --var
  std::map<std::string, std::string> secrets;  // the ones the action references
  std::string owner_tag;                       // "LOCKSTEP_OWNER=…" (run_recovery.h)
};

// "NAME=value" entries; a later entry replaces an earlier one of the same name.
std::vector<std::string> ActionEnvironment(const ActionEnvironmentInput& input);

}  // namespace lockstep::engine
