#include "engine/action_environment.h"

#include <fmt/core.h>

#include "engine/substitute.h"
#include "exec/environment.h"

namespace lockstep::engine {

std::vector<std::string> ActionEnvironment(const ActionEnvironmentInput& input) {
  const workflow::Action& action = *input.action;
  const std::string run_id = std::to_string(input.run_id);
  std::vector<std::string> extra = {
      "CI=true",
      "LOCKSTEP_RUN_ID=" + run_id,
      "LOCKSTEP_ACTION=" + action.name,
      "CATALYST_DEFAULT_DIR=" + input.default_dir.string(),
      "CATALYST_WORKFLOW_NAME=" + input.workflow,
      "CATALYST_WORKFLOW_RUN_ID=" + run_id,
      "CATALYST_ACTION_NAME=" + action.name,
      "CATALYST_SOURCE_COMMIT_ID=" + input.commit,
      "CATALYST_SOURCE_BRANCH_NAME=" + input.branch,
      "TMPDIR=" + input.temp_dir.string(),
  };
  if (!input.owner_tag.empty()) extra.push_back(input.owner_tag);
  for (const auto& source : action.input_sources) {
    if (source.value == "WorkflowSource")
      extra.push_back("CATALYST_SOURCE_DIR_WorkflowSource=" +
                      (input.workspace / "WorkflowSource").string());
  }
  for (const auto& artifact : action.input_artifacts)
    extra.push_back(fmt::format("CATALYST_SOURCE_DIR_{}={}", artifact.value,
                                (input.workspace / "artifacts" / artifact.value).string()));
  for (const workflow::Variable& variable : action.input_variables)
    extra.push_back(variable.name + "=" + SubstituteReferences(variable.value, input.resolve));
  if (input.run_variables != nullptr) {
    for (const auto& [name, value] : *input.run_variables) extra.push_back(name + "=" + value);
  }
  for (const auto& [name, value] : input.secrets)
    extra.push_back(SecretVariable(name) + "=" + value);
  return exec::CleanEnvironment(extra);
}

}  // namespace lockstep::engine
