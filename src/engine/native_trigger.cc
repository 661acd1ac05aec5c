#include "engine/native_trigger.h"

#include <fmt/core.h>

#include <algorithm>

#include "base/duration.h"
#include "engine/step_script.h"

namespace lockstep::engine {
namespace {

// Repository and workflow names reach a command line (quoted) and the log: plain names only.
bool IsPlainName(std::string_view name) {
  if (name.empty() || name.size() > 100 || name.front() == '-' || name.front() == '.') {
    return false;
  }
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

}  // namespace

Result<std::string> TriggerStep(const workflow::Action& action, const std::filesystem::path& root,
                                const std::filesystem::path& executable,
                                const std::filesystem::path& state_directory) {
  auto problem = [&](std::string_view what) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("action '{}': lockstep/trigger@v1 {}", action.name, what));
  };
  const yaml::Node& configuration = action.configuration;
  auto scalar = [&](std::string_view key) -> const yaml::Node* {
    const yaml::Node* node = configuration.IsMap() ? configuration.Find(key) : nullptr;
    return node != nullptr && node->IsScalar() ? node : nullptr;
  };
  const yaml::Node* repository = scalar("Repository");
  const yaml::Node* workflow = scalar("Workflow");
  if (repository == nullptr || !IsPlainName(repository->value)) {
    return problem("needs 'Repository', the name of a repository in lockstep.yaml");
  }
  if (workflow == nullptr || !IsPlainName(workflow->value)) {
    return problem("needs 'Workflow', the Name of a workflow in that repository");
  }
  bool wait = true;
  if (const yaml::Node* node = scalar("Wait")) {
    if (node->scalar_type() != yaml::ScalarType::kBool)
      return problem("'Wait' must be true or false");
    wait = node->value == "true" || node->value == "True" || node->value == "TRUE";
  }
  std::string timeout = "1h";
  if (const yaml::Node* node = scalar("Timeout")) {
    if (Result<std::chrono::milliseconds> parsed = ParseDuration(node->value); !parsed) {
      return problem(fmt::format("'Timeout': {}", parsed.error().message()));
    }
    timeout = node->value;
  }
  std::string command = fmt::format(
      "(cd {} && LOCKSTEP_HOME={} {} trigger {} {} --timeout {}{} --variables-file "
      "\"$__lockstep_trigger_outputs\")",
      ShellQuote(root.string()), ShellQuote(state_directory.string()),
      ShellQuote(executable.string()), ShellQuote(repository->value), ShellQuote(workflow->value),
      ShellQuote(timeout), wait ? "" : " --no-wait");
  return fmt::format(
      "# lockstep/trigger@v1: {}/{}\n"
      "__lockstep_trigger_outputs=\"$TMPDIR/lockstep-trigger-outputs\"\n"
      "{}\n"
      ". \"$__lockstep_trigger_outputs\"\n"
      "rm -f \"$__lockstep_trigger_outputs\"\n",
      repository->value, workflow->value, command);
}

}  // namespace lockstep::engine
