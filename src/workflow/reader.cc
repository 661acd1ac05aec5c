#include "workflow/reader.h"

#include <fmt/core.h>

#include "base/strings.h"
#include "workflow/action_configuration.h"
#include "workflow/action_parts.h"
#include "workflow/references.h"
#include "workflow/trigger_check.h"

namespace lockstep::workflow {
namespace {

constexpr size_t kMaxNameLength = 100;

const std::vector<std::string_view> kEc2Fleets = {
    "Linux.x86-64.Large", "Linux.x86-64.XLarge", "Linux.x86-64.2XLarge",  "Linux.Arm64.Large",
    "Linux.Arm64.XLarge", "Linux.Arm64.2XLarge", "Windows.x86-64.XLarge", "Windows.x86-64.2XLarge"};
const std::vector<std::string_view> kLambdaFleets = {"Linux.x86-64.Large", "Linux.x86-64.XLarge",
                                                     "Linux.Arm64.Large", "Linux.Arm64.XLarge"};

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
      compute.type = AsciiUpper(value->value);
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
      compute.shared_instance = AsciiUpper(shared->value) == "TRUE";
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
  std::string type = AsciiUpper(type_name->value);
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
      std::string upper = AsciiUpper(event.value);
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
    ReadEnvironment(*environment, action, context, c_);
  }
  if (const yaml::Node* inputs = node.Find("Inputs")) ReadInputs(*inputs, action, context, c_);
  if (const yaml::Node* outputs = node.Find("Outputs")) ReadOutputs(*outputs, action, context, c_);
  if (const yaml::Node* caching = node.Find("Caching")) {
    ReadCaching(*caching, context, c_);
    action.caching = *caching;
  }
  if (const yaml::Node* packages = node.Find("Packages")) ReadPackages(*packages, context, c_);
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

}  // namespace

std::optional<Workflow> ReadWorkflow(const yaml::Node& root, Checker& checker) {
  return Reader(checker).Read(root);
}

}  // namespace lockstep::workflow
