#include "workflow/reader.h"

#include <fmt/core.h>

#include "base/strings.h"
#include "workflow/action_configuration.h"
#include "workflow/references.h"
#include "workflow/trigger_check.h"

namespace lockstep::workflow {
namespace {

constexpr size_t kMaxNameLength = 100;
constexpr size_t kMaxArtifacts = 5;
constexpr size_t kMaxVariables = 256;

const std::vector<std::string_view> kEc2Fleets = {
    "Linux.x86-64.Large", "Linux.x86-64.XLarge", "Linux.x86-64.2XLarge",  "Linux.Arm64.Large",
    "Linux.Arm64.XLarge", "Linux.Arm64.2XLarge", "Windows.x86-64.XLarge", "Windows.x86-64.2XLarge"};
const std::vector<std::string_view> kLambdaFleets = {"Linux.x86-64.Large", "Linux.x86-64.XLarge",
                                                     "Linux.Arm64.Large", "Linux.Arm64.XLarge"};

std::string Upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

bool Matches(std::string_view text, bool (*allowed)(char)) {
  return !text.empty() && std::all_of(text.begin(), text.end(), allowed);
}
bool ArtifactChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool VariableChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '@';
}

class Reader {
 public:
  explicit Reader(Checker& checker) : c_(checker) {}

  std::optional<Workflow> Read(const yaml::Node& root);

 private:
  void ReadSchemaVersion(const yaml::Node& node);
  void ReadRunMode(const yaml::Node& node);
  std::optional<Compute> ReadCompute(const yaml::Node& node, bool workflow_level);
  void ReadTriggers(const yaml::Node& node);
  void ReadTrigger(const yaml::Node& node);
  void ReadActions(const yaml::Node& node);
  void ReadGroup(const Located<std::string>& name, const yaml::Node& node);
  void ReadAction(const Located<std::string>& name, const yaml::Node& node,
                  const std::string& group);
  void ReadInputs(const yaml::Node& node, Action& action, const Context& context);
  void ReadInputVariables(const yaml::Node& node, Action& action);
  void ReadOutputs(const yaml::Node& node, Action& action, const Context& context);
  void ReadOutputArtifacts(const yaml::Node& node, Action& action);
  void ReadReports(const yaml::Node& node, const Context& context);
  void ReadEnvironment(const yaml::Node& node, Action& action, const Context& context);
  void ReadCaching(const yaml::Node& node, const Context& context);
  void ReadPackages(const yaml::Node& node, const Context& context);

  Checker& c_;
  Workflow workflow_;
  Mark workflow_compute_mark_;
};

std::optional<Workflow> Reader::Read(const yaml::Node& root) {
  if (root.IsNull()) {
    c_.Error({1, 1}, "the file is empty; a workflow needs 'Name', 'SchemaVersion' and 'Actions'");
    return std::nullopt;
  }
  if (!root.IsMap()) {
    c_.Error(root.mark, fmt::format("expected a mapping at the top of the workflow, found {}",
                                    DescribeKind(root)));
    return std::nullopt;
  }
  if (root.Find("jobs") != nullptr && (root.Find("on") != nullptr || root.Find("runs-on"))) {
    c_.Error(root.mark,
             "this is a GitHub Actions workflow ('on' and 'jobs'), not a CodeCatalyst one; "
             "lockstep reads workflows with 'Name', 'SchemaVersion', 'Triggers' and 'Actions'");
    return std::nullopt;
  }
  c_.CheckKeys(root, {"at the top level", "the workflow"},
               {"Name", "SchemaVersion", "RunMode", "Compute", "Triggers", "Actions"},
               {"Name", "SchemaVersion", "Actions"});
  if (const yaml::Node* name = root.Find("Name")) {
    if (auto value = c_.String(*name, "Name")) {
      c_.CheckName(*value, "workflow name", kMaxNameLength);
      workflow_.name = value->value;
    }
  }
  if (const yaml::Node* version = root.Find("SchemaVersion")) ReadSchemaVersion(*version);
  if (const yaml::Node* run_mode = root.Find("RunMode")) ReadRunMode(*run_mode);
  if (const yaml::MapEntry* compute = root.FindEntry("Compute")) {
    workflow_compute_mark_ = compute->key.mark;
    workflow_.compute = ReadCompute(compute->value, true);
  }
  if (const yaml::Node* triggers = root.Find("Triggers")) ReadTriggers(*triggers);
  if (const yaml::Node* actions = root.Find("Actions")) ReadActions(*actions);
  return std::move(workflow_);
}

void Reader::ReadSchemaVersion(const yaml::Node& node) {
  yaml::ScalarType type = node.scalar_type();
  if (node.IsScalar() && type == yaml::ScalarType::kString && node.value == "1.0") {
    workflow_.schema_version = "1.0";
    return;
  }
  if (node.IsScalar() && (type == yaml::ScalarType::kFloat || type == yaml::ScalarType::kInteger) &&
      (node.value == "1.0" || node.value == "1")) {
    c_.Warning(node.mark, fmt::format("SchemaVersion {} is a number here; write it as the string "
                                      "\"1.0\"",
                                      node.value));
    workflow_.schema_version = "1.0";
    return;
  }
  c_.Error(node.mark, fmt::format("unsupported SchemaVersion {}; the only version is \"1.0\"",
                                  node.IsScalar() ? "'" + node.value + "'" : DescribeKind(node)));
}

void Reader::ReadRunMode(const yaml::Node& node) {
  auto value = c_.String(node, "RunMode");
  if (!value) return;
  static const std::vector<std::string_view> kModes = {"QUEUED", "PARALLEL", "SUPERSEDED"};
  if (value->value == "QUEUED")
    workflow_.run_mode = RunMode::kQueued;
  else if (value->value == "PARALLEL")
    workflow_.run_mode = RunMode::kParallel;
  else if (value->value == "SUPERSEDED")
    workflow_.run_mode = RunMode::kSuperseded;
  else {
    std::string message = fmt::format("unknown RunMode '{}'", value->value);
    if (auto suggestion = ClosestMatch(value->value, kModes)) {
      message += fmt::format("; did you mean '{}'?", *suggestion);
    } else {
      message += " (expected 'QUEUED', 'PARALLEL' or 'SUPERSEDED')";
    }
    c_.Error(value->mark, std::move(message));
  }
}

std::optional<Compute> Reader::ReadCompute(const yaml::Node& node, bool workflow_level) {
  if (!c_.ExpectMap(node, "Compute")) return std::nullopt;
  Context context{"in 'Compute'", "'Compute'"};
  if (workflow_level) {
    c_.CheckKeys(node, context, {"Type", "Fleet", "SharedInstance"}, {"Type"});
  } else {
    c_.CheckKeys(node, context, {"Type", "Fleet"}, {"Type"});
  }
  Compute compute;
  compute.mark = node.mark;
  if (const yaml::Node* type = node.Find("Type")) {
    if (auto value = c_.String(*type, "Type")) {
      compute.type = Upper(value->value);
      if (compute.type != "EC2" && compute.type != "LAMBDA") {
        c_.Error(value->mark, fmt::format("unknown compute type '{}' (expected 'EC2' or 'LAMBDA')",
                                          value->value));
      }
    }
  }
  if (const yaml::Node* fleet = node.Find("Fleet")) {
    if (auto value = c_.String(*fleet, "Fleet")) {
      compute.fleet = value->value;
      bool on_demand_lambda = std::find(kLambdaFleets.begin(), kLambdaFleets.end(), value->value) !=
                              kLambdaFleets.end();
      if (compute.type == "LAMBDA" && !on_demand_lambda) {
        std::string message =
            fmt::format("fleet '{}' is not available for LAMBDA compute", value->value);
        if (auto suggestion = ClosestMatch(value->value, kLambdaFleets)) {
          message += fmt::format("; did you mean '{}'?", *suggestion);
        }
        c_.Error(value->mark, std::move(message));
      } else if (value->value.size() < 2 || value->value.size() > 128) {
        c_.Error(value->mark,
                 fmt::format("fleet name '{}' must be 2 to 128 characters long", value->value));
      }
    }
  }
  if (const yaml::Node* shared = node.Find("SharedInstance")) {
    // AWS documents the strings TRUE and FALSE; real files also write YAML booleans.
    if (shared->IsScalar() && shared->scalar_type() == yaml::ScalarType::kBool) {
      compute.shared_instance = Upper(shared->value) == "TRUE";
    } else if (shared->IsScalar() && (shared->value == "TRUE" || shared->value == "FALSE")) {
      compute.shared_instance = shared->value == "TRUE";
    } else {
      c_.Error(shared->mark, fmt::format("expected TRUE or FALSE for 'SharedInstance', found {}",
                                         shared->IsScalar() ? "'" + shared->value + "'"
                                                            : std::string(DescribeKind(*shared))));
    }
  }
  return compute;
}

void Reader::ReadTriggers(const yaml::Node& node) {
  if (node.IsNull()) return;  // `Triggers:` with nothing: manual only
  if (!c_.ExpectList(node, "Triggers")) return;
  for (const yaml::Node& item : node.items) ReadTrigger(item);
}

void Reader::ReadTrigger(const yaml::Node& node) {
  if (!node.IsMap()) {
    c_.Error(node.mark,
             fmt::format("expected a mapping for a trigger, found {}", DescribeKind(node)));
    return;
  }
  const yaml::Node* type_node = node.Find("Type");
  if (type_node == nullptr) {
    c_.CheckKeys(node, {"in a trigger", "the trigger"},
                 {"Type", "Branches", "FilesChanged", "Events", "Expression"}, {"Type"});
    return;
  }
  auto type_name = c_.String(*type_node, "Type");
  if (!type_name) return;
  static const std::vector<std::string_view> kTypes = {"PUSH", "PULLREQUEST", "SCHEDULE", "MANUAL"};
  std::string type = Upper(type_name->value);
  if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
    std::string message = fmt::format("unknown trigger type '{}'", type_name->value);
    if (auto suggestion = ClosestMatch(type, kTypes)) {
      message += fmt::format("; did you mean '{}'?", *suggestion);
    } else {
      message += " (expected 'PUSH', 'PULLREQUEST', 'SCHEDULE' or 'MANUAL')";
    }
    c_.Error(type_name->mark, std::move(message));
    return;
  }
  if (type != type_name->value) {
    c_.Warning(type_name->mark,
               fmt::format("trigger type '{}' should be upper case: '{}'", type_name->value, type));
  }
  Trigger trigger;
  trigger.mark = node.mark;
  Context context{fmt::format("in the {} trigger", type), fmt::format("the {} trigger", type)};
  if (type == "PUSH") {
    trigger.type = TriggerType::kPush;
    c_.CheckKeys(node, context, {"Type", "Branches", "FilesChanged"});
  } else if (type == "PULLREQUEST") {
    trigger.type = TriggerType::kPullRequest;
    c_.CheckKeys(node, context, {"Type", "Events", "Branches", "FilesChanged"}, {"Events"});
  } else if (type == "SCHEDULE") {
    trigger.type = TriggerType::kSchedule;
    c_.CheckKeys(node, context, {"Type", "Expression", "Branches"}, {"Expression"});
  } else {
    trigger.type = TriggerType::kManual;
    c_.CheckKeys(node, context, {"Type", "Branches"});
  }
  if (const yaml::Node* branches = node.Find("Branches")) {
    trigger.branches = c_.StringList(*branches, "Branches");
    for (const auto& pattern : trigger.branches) CheckTriggerPattern(pattern, "Branches", c_);
  }
  if (const yaml::Node* files = node.Find("FilesChanged")) {
    trigger.files_changed = c_.StringList(*files, "FilesChanged");
    for (const auto& pattern : trigger.files_changed) {
      CheckTriggerPattern(pattern, "FilesChanged", c_);
    }
  }
  if (const yaml::Node* events = node.Find("Events");
      events && trigger.type == TriggerType::kPullRequest) {
    static const std::vector<std::string_view> kEvents = {"OPEN", "REVISION", "CLOSED", "DRAFT",
                                                          "MERGED"};
    auto values = c_.StringList(*events, "Events");
    if (events->IsSequence() && events->items.empty()) {
      c_.Error(events->mark,
               "'Events' is empty; list at least one of 'OPEN', 'REVISION' or "
               "'CLOSED'");
    }
    for (const auto& event : values) {
      std::string upper = Upper(event.value);
      if (std::find(kEvents.begin(), kEvents.end(), upper) == kEvents.end()) {
        std::string message = fmt::format("unknown pull request event '{}'", event.value);
        if (auto suggestion = ClosestMatch(upper, kEvents)) {
          message += fmt::format("; did you mean '{}'?", *suggestion);
        } else {
          message += " (expected 'OPEN', 'REVISION', 'CLOSED', 'DRAFT' or 'MERGED')";
        }
        c_.Error(event.mark, std::move(message));
        continue;
      }
      if (upper != event.value) {
        c_.Warning(event.mark, fmt::format("pull request event '{}' should be upper case: '{}'",
                                           event.value, upper));
      }
      trigger.events.push_back(upper);
    }
  }
  if (const yaml::Node* expression = node.Find("Expression");
      expression && trigger.type == TriggerType::kSchedule) {
    if (auto value = c_.String(*expression, "Expression")) {
      CheckScheduleExpression(*expression, c_);
      trigger.expression = *value;
    }
  }
  workflow_.triggers.push_back(std::move(trigger));
}

void Reader::ReadActions(const yaml::Node& node) {
  if (!c_.ExpectMap(node, "Actions")) return;
  if (node.entries.empty()) {
    c_.Error(node.mark, "'Actions' is empty; a workflow needs at least one action");
    return;
  }
  for (const yaml::MapEntry& entry : node.entries) {
    if (!entry.key.IsScalar()) {
      c_.Error(entry.key.mark,
               fmt::format("expected an action name, found {}", DescribeKind(entry.key)));
      continue;
    }
    Located<std::string> name{entry.key.value, entry.key.mark};
    if (!c_.CheckName(name, "action name", kMaxNameLength)) continue;
    if (entry.value.IsMap() && entry.value.Find("Actions") != nullptr &&
        entry.value.Find("Identifier") == nullptr) {
      ReadGroup(name, entry.value);
    } else {
      ReadAction(name, entry.value, "");
    }
  }
}

void Reader::ReadGroup(const Located<std::string>& name, const yaml::Node& node) {
  Context context{fmt::format("in action group '{}'", name.value),
                  fmt::format("action group '{}'", name.value)};
  c_.CheckKeys(node, context, {"DependsOn", "Actions"});
  ActionGroup group;
  group.name = name.value;
  group.mark = name.mark;
  if (const yaml::Node* depends_on = node.Find("DependsOn")) {
    group.depends_on = c_.StringList(*depends_on, "DependsOn");
  }
  const yaml::Node& actions = *node.Find("Actions");
  if (c_.ExpectMap(actions, "Actions")) {
    if (actions.entries.empty()) {
      c_.Error(actions.mark, fmt::format("action group '{}' has no actions", name.value));
    }
    for (const yaml::MapEntry& entry : actions.entries) {
      if (!entry.key.IsScalar()) {
        c_.Error(entry.key.mark,
                 fmt::format("expected an action name, found {}", DescribeKind(entry.key)));
        continue;
      }
      Located<std::string> member{entry.key.value, entry.key.mark};
      if (!c_.CheckName(member, "action name", kMaxNameLength)) continue;
      if (entry.value.IsMap() && entry.value.Find("Actions") != nullptr &&
          entry.value.Find("Identifier") == nullptr) {
        c_.Error(member.mark, fmt::format("action group '{}' is inside action group '{}'; groups "
                                          "cannot be nested",
                                          member.value, name.value));
        continue;
      }
      group.actions.push_back(member.value);
      ReadAction(member, entry.value, name.value);
    }
  }
  workflow_.groups.push_back(std::move(group));
}

void Reader::ReadAction(const Located<std::string>& name, const yaml::Node& node,
                        const std::string& group) {
  if (!node.IsMap()) {
    c_.Error(node.mark, fmt::format("expected a mapping for action '{}', found {}", name.value,
                                    DescribeKind(node)));
    return;
  }
  Context context{fmt::format("in action '{}'", name.value),
                  fmt::format("action '{}'", name.value)};
  c_.CheckKeys(node, context,
               {"Identifier", "Configuration", "DependsOn", "Environment", "Compute", "Timeout",
                "Caching", "Packages", "Inputs", "Outputs"},
               {"Identifier"}, name.mark);
  Action action;
  action.name = name.value;
  action.mark = name.mark;
  action.group = group;
  if (const yaml::Node* identifier = node.Find("Identifier")) {
    if (auto value = c_.String(*identifier, "Identifier")) action.identifier = *value;
  }
  if (const yaml::Node* depends_on = node.Find("DependsOn")) {
    action.depends_on = c_.StringList(*depends_on, "DependsOn");
  }
  if (const yaml::Node* timeout = node.Find("Timeout")) {
    action.timeout_minutes = c_.Integer(*timeout, "Timeout", 1, 480, "minutes");
  }
  if (const yaml::MapEntry* compute = node.FindEntry("Compute")) {
    if (workflow_compute_mark_.line > 0) {
      c_.Error(compute->key.mark,
               fmt::format("action '{}' sets 'Compute', but the workflow sets it at line {}; "
                           "use one or the other",
                           name.value, workflow_compute_mark_.line));
    } else {
      action.compute = ReadCompute(compute->value, false);
    }
  }
  if (const yaml::Node* environment = node.Find("Environment")) {
    ReadEnvironment(*environment, action, context);
  }
  if (const yaml::Node* inputs = node.Find("Inputs")) ReadInputs(*inputs, action, context);
  if (const yaml::Node* outputs = node.Find("Outputs")) ReadOutputs(*outputs, action, context);
  if (const yaml::Node* caching = node.Find("Caching")) {
    ReadCaching(*caching, context);
    action.caching = *caching;
  }
  if (const yaml::Node* packages = node.Find("Packages")) ReadPackages(*packages, context);
  const yaml::Node* configuration = node.Find("Configuration");
  if (configuration != nullptr) action.configuration = *configuration;
  CollectReferences(node, c_, action.references);
  if (!action.identifier.value.empty()) {
    CheckActionConfiguration(action, configuration, c_);
    if (!group.empty() && ClassifyIdentifier(action.identifier.value) == ActionKind::kApproval) {
      c_.Error(action.identifier.mark,
               fmt::format("approval '{}' is inside action group '{}'; approvals cannot be "
                           "grouped",
                           name.value, group));
    }
  }
  workflow_.actions.push_back(std::move(action));
}

void Reader::ReadInputs(const yaml::Node& node, Action& action, const Context& context) {
  if (!c_.ExpectMap(node, "Inputs")) return;
  if (node.entries.empty()) {
    c_.Error(node.mark, fmt::format("'Inputs' of action '{}' is empty", action.name));
    return;
  }
  c_.CheckKeys(node, {"in 'Inputs' of " + context.subject, "'Inputs' of " + context.subject},
               {"Sources", "Artifacts", "Variables"});
  if (const yaml::Node* sources = node.Find("Sources")) {
    action.input_sources = c_.StringList(*sources, "Sources");
    if (action.input_sources.size() > 1) {
      c_.Error(action.input_sources[1].mark,
               fmt::format("action '{}' lists {} sources; an action takes at most one", action.name,
                           action.input_sources.size()));
    }
    for (const auto& source : action.input_sources) {
      if (!Matches(source.value, VariableChar)) {
        c_.Error(source.mark, fmt::format("invalid source name '{}': use only letters, digits, "
                                          "'@', '-' and '_'",
                                          source.value));
      }
    }
  }
  if (const yaml::Node* artifacts = node.Find("Artifacts")) {
    action.input_artifacts = c_.StringList(*artifacts, "Artifacts");
    if (action.input_artifacts.size() > kMaxArtifacts) {
      c_.Error(action.input_artifacts[kMaxArtifacts].mark,
               fmt::format("action '{}' lists {} input artifacts; an action takes at most {}",
                           action.name, action.input_artifacts.size(), kMaxArtifacts));
    }
    for (const auto& artifact : action.input_artifacts) {
      if (!Matches(artifact.value, ArtifactChar)) {
        c_.Error(artifact.mark, fmt::format("invalid artifact name '{}': use only letters, "
                                            "digits and '_'",
                                            artifact.value));
      }
    }
  }
  if (const yaml::Node* variables = node.Find("Variables")) ReadInputVariables(*variables, action);
}

void Reader::ReadInputVariables(const yaml::Node& node, Action& action) {
  auto add = [&](const yaml::Node& name_node, const yaml::Node& value_node) {
    auto name = c_.String(name_node, "Name");
    auto value = c_.String(value_node, "Value");
    if (!name || !value) return;
    if (!c_.CheckName(*name, "variable name", 60)) return;
    if (value->value.empty() || value->value.size() > 1000) {
      c_.Error(value->mark, fmt::format("value of variable '{}' must be 1 to 1000 characters long",
                                        name->value));
      return;
    }
    action.input_variables.push_back({name->value, value->value, name->mark});
  };
  if (node.IsMap()) {
    c_.CheckDuplicateKeys(node, "in 'Variables'");
    for (const yaml::MapEntry& entry : node.entries) add(entry.key, entry.value);
  } else if (node.IsSequence()) {
    for (const yaml::Node& item : node.items) {
      if (!item.IsMap()) {
        c_.Error(item.mark, fmt::format("expected a mapping with 'Name' and 'Value', found {}",
                                        DescribeKind(item)));
        continue;
      }
      c_.CheckKeys(item, {"in an input variable", "the input variable"}, {"Name", "Value"},
                   {"Name", "Value"});
      const yaml::Node* name = item.Find("Name");
      const yaml::Node* value = item.Find("Value");
      if (name && value) add(*name, *value);
    }
  } else {
    c_.Error(node.mark, fmt::format("expected a list or a mapping for 'Variables', found {}",
                                    DescribeKind(node)));
    return;
  }
  if (action.input_variables.size() > kMaxVariables) {
    c_.Error(node.mark, fmt::format("action '{}' has {} input variables; the limit is {}",
                                    action.name, action.input_variables.size(), kMaxVariables));
  }
}

void Reader::ReadOutputs(const yaml::Node& node, Action& action, const Context& context) {
  if (!c_.ExpectMap(node, "Outputs")) return;
  if (node.entries.empty()) {
    c_.Error(node.mark, fmt::format("'Outputs' of action '{}' is empty", action.name));
    return;
  }
  Context outputs{"in 'Outputs' of " + context.subject, "'Outputs' of " + context.subject};
  c_.CheckKeys(node, outputs, {"Artifacts", "Variables", "Reports", "AutoDiscoverReports"});
  if (const yaml::Node* artifacts = node.Find("Artifacts")) ReadOutputArtifacts(*artifacts, action);
  if (const yaml::Node* variables = node.Find("Variables")) {
    action.output_variables = c_.StringList(*variables, "Variables");
    for (const auto& variable : action.output_variables) {
      if (!Matches(variable.value, VariableChar) || variable.value.size() > 255) {
        c_.Error(variable.mark, fmt::format("invalid output variable name '{}': use only "
                                            "letters, digits, '@', '-' and '_'",
                                            variable.value));
      }
    }
    if (action.output_variables.size() > kMaxVariables) {
      c_.Error(variables->mark,
               fmt::format("action '{}' declares {} output variables; the "
                           "limit is {}",
                           action.name, action.output_variables.size(), kMaxVariables));
    }
  }
  if (const yaml::Node* reports = node.Find("Reports")) ReadReports(*reports, outputs);
  if (const yaml::Node* discover = node.Find("AutoDiscoverReports")) {
    if (c_.ExpectMap(*discover, "AutoDiscoverReports")) {
      c_.CheckKeys(
          *discover, {"in 'AutoDiscoverReports'", "'AutoDiscoverReports'"},
          {"Enabled", "ReportNamePrefix", "IncludePaths", "ExcludePaths", "SuccessCriteria"});
      if (const yaml::Node* enabled = discover->Find("Enabled")) c_.Boolean(*enabled, "Enabled");
      if (const yaml::Node* include = discover->Find("IncludePaths")) {
        c_.StringList(*include, "IncludePaths");
      }
      if (const yaml::Node* exclude = discover->Find("ExcludePaths")) {
        c_.StringList(*exclude, "ExcludePaths");
      }
    }
  }
}

void Reader::ReadOutputArtifacts(const yaml::Node& node, Action& action) {
  auto add = [&](const yaml::Node& name_node, const yaml::Node* files) {
    auto name = c_.String(name_node, "Name");
    if (!name) return;
    if (!Matches(name->value, ArtifactChar) || name->value.size() > 100) {
      c_.Error(name->mark, fmt::format("invalid artifact name '{}': use only letters, digits and "
                                       "'_'",
                                       name->value));
      return;
    }
    OutputArtifact artifact{*name, {}};
    if (files != nullptr) {
      for (auto& file : c_.StringList(*files, "Files")) artifact.files.push_back(file.value);
      if (files->IsSequence() && files->items.empty()) {
        c_.Error(files->mark, fmt::format("'Files' of artifact '{}' is empty", name->value));
      }
    }
    action.output_artifacts.push_back(std::move(artifact));
  };
  if (node.IsSequence()) {
    for (const yaml::Node& item : node.items) {
      if (!item.IsMap()) {
        c_.Error(item.mark, fmt::format("expected a mapping with 'Name' and 'Files', found {}",
                                        DescribeKind(item)));
        continue;
      }
      c_.CheckKeys(item, {"in an output artifact", "the output artifact"}, {"Name", "Files"},
                   {"Name", "Files"});
      if (const yaml::Node* name = item.Find("Name")) add(*name, item.Find("Files"));
    }
  } else if (node.IsMap()) {
    c_.CheckDuplicateKeys(node, "in 'Artifacts'");
    for (const yaml::MapEntry& entry : node.entries) {
      if (c_.ExpectMap(entry.value, "Artifacts")) {
        c_.CheckKeys(entry.value, {"in an output artifact", "the output artifact"}, {"Files"},
                     {"Files"});
        add(entry.key, entry.value.Find("Files"));
      }
    }
  } else {
    c_.Error(node.mark, fmt::format("expected a list or a mapping for 'Artifacts', found {}",
                                    DescribeKind(node)));
    return;
  }
  if (action.output_artifacts.size() > kMaxArtifacts) {
    c_.Error(action.output_artifacts[kMaxArtifacts].name.mark,
             fmt::format("action '{}' outputs {} artifacts; an action has at most {}", action.name,
                         action.output_artifacts.size(), kMaxArtifacts));
  }
}

void Reader::ReadReports(const yaml::Node& node, const Context& context) {
  if (!c_.ExpectMap(node, "Reports")) return;
  c_.CheckDuplicateKeys(node, "in 'Reports'");
  static const std::vector<std::string_view> kFormats = {
      "JUNITXML",     "CUCUMBERJSON", "NUNITXML",  "NUNIT3XML", "TESTNGXML", "VISUALSTUDIOTRX",
      "COBERTURAXML", "CLOVERXML",    "SIMPLECOV", "JACOCOXML", "LCOV",      "SARIFSCA",
      "SARIFSA",      "ESLINTJSON",   "PYLINTJSON"};
  for (const yaml::MapEntry& entry : node.entries) {
    if (!c_.ExpectMap(entry.value, entry.key.value)) continue;
    c_.CheckKeys(entry.value,
                 {fmt::format("in report '{}' {}", entry.key.value, context.in),
                  fmt::format("report '{}'", entry.key.value)},
                 {"Format", "IncludePaths", "ExcludePaths", "SuccessCriteria"},
                 {"Format", "IncludePaths"});
    if (const yaml::Node* format = entry.value.Find("Format")) {
      if (auto value = c_.String(*format, "Format")) {
        if (std::find(kFormats.begin(), kFormats.end(), Upper(value->value)) == kFormats.end()) {
          std::string message = fmt::format("unknown report format '{}'", value->value);
          if (auto suggestion = ClosestMatch(Upper(value->value), kFormats)) {
            message += fmt::format("; did you mean '{}'?", *suggestion);
          } else {
            std::vector<std::string> names(kFormats.begin(), kFormats.end());
            message += fmt::format(" (expected one of {})", Join(names, ", "));
          }
          c_.Error(value->mark, std::move(message));
        }
      }
    }
    if (const yaml::Node* include = entry.value.Find("IncludePaths")) {
      c_.StringList(*include, "IncludePaths");
    }
    if (const yaml::Node* exclude = entry.value.Find("ExcludePaths")) {
      c_.StringList(*exclude, "ExcludePaths");
    }
  }
}

void Reader::ReadEnvironment(const yaml::Node& node, Action& action, const Context& context) {
  if (!c_.ExpectMap(node, "Environment")) return;
  c_.CheckKeys(node,
               {"in 'Environment' of " + context.subject, "'Environment' of " + context.subject},
               {"Name", "Connections"}, {"Name"});
  Environment environment;
  if (const yaml::Node* name = node.Find("Name")) {
    if (auto value = c_.String(*name, "Name")) environment.name = value->value;
  }
  if (const yaml::Node* connections = node.Find("Connections")) {
    if (c_.ExpectList(*connections, "Connections")) {
      if (connections->items.size() > 1) {
        c_.Error(connections->items[1].mark,
                 fmt::format("action '{}' lists {} connections; an environment takes at most one",
                             action.name, connections->items.size()));
      }
      for (const yaml::Node& connection : connections->items) {
        if (!c_.ExpectMap(connection, "Connections")) continue;
        c_.CheckKeys(connection, {"in a connection", "the connection"}, {"Name", "Role"},
                     {"Name", "Role"});
        if (const yaml::Node* name = connection.Find("Name")) {
          if (name->IsScalar()) environment.connection_name = name->value;
        }
        if (const yaml::Node* role = connection.Find("Role")) {
          if (auto value = c_.String(*role, "Role")) environment.connection_role = value->value;
        }
      }
    }
  }
  action.environment = std::move(environment);
}

void Reader::ReadCaching(const yaml::Node& node, const Context& context) {
  if (!c_.ExpectMap(node, "Caching")) return;
  c_.CheckKeys(node, {"in 'Caching' of " + context.subject, "'Caching' of " + context.subject},
               {"FileCaching"}, {"FileCaching"});
  const yaml::Node* file_caching = node.Find("FileCaching");
  if (file_caching == nullptr || !c_.ExpectMap(*file_caching, "FileCaching")) return;
  c_.CheckDuplicateKeys(*file_caching, "in 'FileCaching'");
  if (file_caching->entries.size() > 5) {
    c_.Error(file_caching->entries[5].key.mark,
             fmt::format("{} has {} caches; the limit is 5", context.subject,
                         file_caching->entries.size()));
  }
  for (const yaml::MapEntry& entry : file_caching->entries) {
    Located<std::string> name{entry.key.value, entry.key.mark};
    c_.CheckName(name, "cache name", 180);
    if (!c_.ExpectMap(entry.value, entry.key.value)) continue;
    c_.CheckKeys(
        entry.value,
        {fmt::format("in cache '{}'", entry.key.value), fmt::format("cache '{}'", entry.key.value)},
        {"Path", "RestoreKeys"}, {"Path"});
    if (const yaml::Node* path = entry.value.Find("Path")) {
      if (auto value = c_.String(*path, "Path")) {
        if (value->value.find('*') != std::string::npos) {
          c_.Error(value->mark, fmt::format("cache path '{}' has a '*'; cache paths are plain "
                                            "paths, not globs",
                                            value->value));
        }
      }
    }
    if (const yaml::Node* keys = entry.value.Find("RestoreKeys")) {
      auto values = c_.StringList(*keys, "RestoreKeys");
      if (values.size() > 5) {
        c_.Error(values[5].mark, fmt::format("cache '{}' has {} restore keys; the limit is 5",
                                             entry.key.value, values.size()));
      }
    }
  }
}

void Reader::ReadPackages(const yaml::Node& node, const Context& context) {
  if (!c_.ExpectMap(node, "Packages")) return;
  c_.CheckKeys(node, {"in 'Packages' of " + context.subject, "'Packages' of " + context.subject},
               {"NpmConfiguration"});
  const yaml::Node* npm = node.Find("NpmConfiguration");
  if (npm == nullptr || !c_.ExpectMap(*npm, "NpmConfiguration")) return;
  c_.CheckKeys(*npm, {"in 'NpmConfiguration'", "'NpmConfiguration'"}, {"PackageRegistries"});
  const yaml::Node* registries = npm->Find("PackageRegistries");
  if (registries == nullptr || !c_.ExpectList(*registries, "PackageRegistries")) return;
  for (const yaml::Node& registry : registries->items) {
    if (!c_.ExpectMap(registry, "PackageRegistries")) continue;
    c_.CheckKeys(registry, {"in a package registry", "the package registry"},
                 {"PackagesRepository", "Scopes"}, {"PackagesRepository"});
    if (const yaml::Node* repository = registry.Find("PackagesRepository")) {
      c_.String(*repository, "PackagesRepository");
    }
    if (const yaml::Node* scopes = registry.Find("Scopes")) {
      for (const auto& scope : c_.StringList(*scopes, "Scopes")) {
        if (!scope.value.starts_with('@') || scope.value.size() < 2) {
          c_.Error(scope.mark, fmt::format("npm scope '{}' must start with '@'", scope.value));
        }
      }
    }
  }
}

}  // namespace

std::optional<Workflow> ReadWorkflow(const yaml::Node& root, Checker& checker) {
  return Reader(checker).Read(root);
}

}  // namespace lockstep::workflow
