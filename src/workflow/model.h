// The CodeCatalyst workflow model: what a workflow file says, with the position of every part
// a diagnostic may point at. Built by LoadWorkflow (load.h); read by the validator, the
// trigger analysis and the engine. Plain values; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "yaml/yaml_tree.h"

namespace lockstep::workflow {

using yaml::Mark;

template <class T>
struct Located {
  T value{};
  Mark mark;
};

enum class RunMode { kQueued, kParallel, kSuperseded };

enum class TriggerType { kPush, kPullRequest, kSchedule, kManual };

struct Compute {
  std::string type;                     // EC2 or LAMBDA (upper case)
  std::string fleet;                    // empty: the default fleet
  std::optional<bool> shared_instance;  // workflow level only
  Mark mark;
};

struct Trigger {
  TriggerType type = TriggerType::kPush;
  Mark mark;
  std::vector<Located<std::string>> branches;       // full-match regular expressions
  std::vector<Located<std::string>> files_changed;  // full-match regular expressions
  std::vector<std::string> events;                  // PULLREQUEST: OPEN, REVISION, CLOSED, …
  std::optional<Located<std::string>> expression;   // SCHEDULE: six-field cron
};

struct Variable {
  std::string name;
  std::string value;
  Mark mark;
};

struct OutputArtifact {
  Located<std::string> name;
  std::vector<std::string> files;  // globs relative to the action's working directory
};

struct Environment {
  std::string name;
  std::string connection_name;
  std::string connection_role;
};

// A `${…}` reference that names a workflow variable or secret, with where it was written.
struct Reference {
  std::string text;  // between "${" and "}"
  Mark mark;         // of the "$"
};

struct Action {
  std::string name;
  Mark mark;          // of the action's key
  std::string group;  // the enclosing action group, empty when none
  Located<std::string> identifier;
  std::vector<Located<std::string>> depends_on;
  std::optional<int> timeout_minutes;
  std::optional<Compute> compute;
  std::optional<Environment> environment;
  std::vector<Located<std::string>> input_sources;
  std::vector<Located<std::string>> input_artifacts;
  std::vector<Variable> input_variables;
  std::vector<OutputArtifact> output_artifacts;
  std::vector<Located<std::string>> output_variables;
  std::vector<Reference> references;  // every `${A.B}` in the action's values
  yaml::Node configuration;           // null when absent; interpreted per identifier
  yaml::Node caching;                 // null when absent
  yaml::Node reports;                 // Outputs.Reports; null when absent
  yaml::Node auto_discover_reports;   // Outputs.AutoDiscoverReports; null when absent
};

struct ActionGroup {
  std::string name;
  Mark mark;
  std::vector<Located<std::string>> depends_on;
  std::vector<std::string> actions;  // member names, in file order
};

struct Workflow {
  std::string name;
  std::string schema_version;
  RunMode run_mode = RunMode::kQueued;
  std::optional<Compute> compute;
  std::vector<Trigger> triggers;
  std::vector<Action> actions;  // every action, grouped ones included, in file order
  std::vector<ActionGroup> groups;

  const Action* FindAction(std::string_view name) const;
  const ActionGroup* FindGroup(std::string_view name) const;
};

}  // namespace lockstep::workflow
