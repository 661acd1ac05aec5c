#include "workflow/action_configuration.h"

#include <fmt/core.h>

#include <algorithm>
#include <set>

#include "base/duration.h"
#include "base/strings.h"

namespace lockstep::workflow {
namespace {

struct KnownIdentifier {
  std::string_view name;  // without the version
  ActionKind kind;
};

constexpr KnownIdentifier kKnown[] = {
    {"aws/build", ActionKind::kBuild},
    {"aws/managed-test", ActionKind::kManagedTest},
    {"aws/github-actions-runner", ActionKind::kGitHubActions},
    {"aws/approval", ActionKind::kApproval},
    {"lockstep/approval", ActionKind::kApproval},
    {"lockstep/deploy", ActionKind::kDeploy},
    {"lockstep/verify", ActionKind::kVerify},
    {"lockstep/sync", ActionKind::kSync},
    {"lockstep/trigger", ActionKind::kTrigger},
};

constexpr std::string_view kLockstepActions[] = {"lockstep/deploy@v1", "lockstep/verify@v1",
                                                 "lockstep/sync@v1", "lockstep/trigger@v1",
                                                 "lockstep/approval@v1"};

bool IsVersionOne(std::string_view version) {
  return version == "v1" || version == "v1.0" || version == "v1.0.0";
}

// A relative path inside the repository: no leading '/', no '..' component.
bool IsSafeRelativePath(std::string_view path) {
  if (path.empty() || path.starts_with('/')) return false;
  // A line break or other control character has no place in a path and would reach logs.
  for (char c : path) {
    if (static_cast<unsigned char>(c) < 0x20) return false;
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    if (path.substr(start, end - start) == "..") return false;
    start = end + 1;
  }
  return true;
}

bool IsVariableName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

class ConfigurationChecker {
 public:
  ConfigurationChecker(const Action& action, Checker& checker)
      : action_(action),
        c_(checker),
        context_{fmt::format("in 'Configuration' of action '{}'", action.name),
                 fmt::format("'Configuration' of action '{}'", action.name)} {}

  // Returns the Configuration mapping, reporting it when it is missing and `required`.
  const yaml::Node* Mapping(const yaml::Node* configuration, bool required) {
    if (configuration == nullptr || configuration->IsNull()) {
      if (required) {
        c_.Error(action_.mark, fmt::format("action '{}' ({}) is missing required key "
                                           "'Configuration'",
                                           action_.name, action_.identifier.value));
      }
      return nullptr;
    }
    return c_.ExpectMap(*configuration, "Configuration") ? configuration : nullptr;
  }

  void Steps(const yaml::Node* configuration) {
    const yaml::Node* node = Mapping(configuration, true);
    if (node == nullptr) return;
    c_.CheckKeys(*node, context_, {"Steps", "Container"}, {"Steps"});
    if (const yaml::Node* container = node->Find("Container")) {
      if (c_.ExpectMap(*container, "Container")) {
        c_.CheckKeys(*container, {"in 'Container'", "'Container'"}, {"Image", "Registry"});
        if (const yaml::Node* image = container->Find("Image")) c_.String(*image, "Image");
        if (const yaml::Node* registry = container->Find("Registry")) {
          c_.String(*registry, "Registry");
        }
      }
    }
    const yaml::Node* steps = node->Find("Steps");
    if (steps == nullptr || !c_.ExpectList(*steps, "Steps")) return;
    if (steps->items.size() > 256) {
      c_.Error(steps->items[256].mark, fmt::format("action '{}' has {} steps; the limit is 256",
                                                   action_.name, steps->items.size()));
    }
    for (const yaml::Node& step : steps->items) {
      if (!step.IsMap()) {
        c_.Error(step.mark,
                 fmt::format("expected a step with 'Run', found {}", DescribeKind(step)));
        continue;
      }
      c_.CheckKeys(step, {"in a step of action '" + action_.name + "'", "the step"}, {"Run"},
                   {"Run"});
      if (const yaml::Node* run = step.Find("Run")) c_.String(*run, "Run");
    }
  }

  void GitHubSteps(const yaml::Node* configuration) {
    const yaml::Node* node = Mapping(configuration, true);
    if (node == nullptr) return;
    c_.CheckKeys(*node, context_, {"Steps"}, {"Steps"});
    const yaml::Node* steps = node->Find("Steps");
    if (steps == nullptr || !c_.ExpectList(*steps, "Steps")) return;
    for (const yaml::Node& step : steps->items) {
      if (!c_.ExpectMap(step, "Steps")) continue;
      c_.CheckKeys(step, {"in a GitHub Actions step", "the GitHub Actions step"},
                   {"id", "if", "name", "uses", "with", "run", "env", "continue-on-error",
                    "timeout-minutes", "working-directory", "shell"});
      if (step.Find("uses") == nullptr && step.Find("run") == nullptr) {
        c_.Error(step.mark, "a GitHub Actions step needs 'uses' or 'run'");
      }
    }
  }

  void Approval(const yaml::Node* configuration) {
    const yaml::Node* node = Mapping(configuration, false);
    if (node == nullptr) return;
    c_.CheckKeys(*node, context_, {"ApprovalsRequired"});
    if (const yaml::Node* count = node->Find("ApprovalsRequired")) {
      c_.Integer(*count, "ApprovalsRequired", 1, 2);
    }
  }

  void Deploy(const yaml::Node* configuration) {
    if (action_.input_artifacts.empty()) {
      c_.Error(action_.mark, fmt::format("lockstep/deploy action '{}' needs an input artifact: "
                                         "the release is the root of the first one",
                                         action_.name));
    }
    const yaml::Node* node = Mapping(configuration, true);
    if (node == nullptr) return;
    c_.CheckKeys(*node, context_,
                 {"Service", "Route", "StripPrefix", "Kind", "Spa", "HealthPath", "StartTimeout"},
                 {"Service"});
    if (const yaml::Node* service = node->Find("Service")) {
      if (auto value = c_.String(*service, "Service")) c_.CheckName(*value, "service name", 63);
    }
    ServiceDefinition(*node);
  }

  // Route and the keys that come with it define the service, as `lockstep deploy --route`
  // does. The runtime's own rules for a service (runtime/service_spec.h), where they can point
  // at the value; the route's finer rules are the gateway's, reported when the action runs.
  void ServiceDefinition(const yaml::Node& configuration) {
    const yaml::Node* node = &configuration;  // a mapping
    const yaml::Node* route = node->Find("Route");
    if (route != nullptr) {
      if (c_.String(*route, "Route")) RoutePrefix(*route);
    }
    if (const yaml::Node* strip = node->Find("StripPrefix")) c_.Boolean(*strip, "StripPrefix");
    bool static_site = false;
    if (const yaml::Node* kind = node->Find("Kind")) {
      if (auto value = c_.String(*kind, "Kind")) {
        static_site = value->value == "static";
        if (value->value != "http" && !static_site) {
          c_.Error(value->mark,
                   fmt::format("'Kind' must be http or static, found '{}'", value->value));
        }
      }
    }
    if (const yaml::Node* spa = node->Find("Spa")) {
      if (c_.Boolean(*spa, "Spa").value_or(false) && !static_site) {
        c_.Error(spa->mark, "'Spa' applies to static services only (Kind: static)");
      }
    }
    if (const yaml::Node* health = node->Find("HealthPath")) {
      if (static_site) {
        c_.Error(health->mark,
                 "a static service has no health check: the gateway serves it itself");
      } else if (auto value = c_.String(*health, "HealthPath")) {
        if (!value->value.starts_with('/') || std::ranges::any_of(value->value, [](char c) {
              return static_cast<unsigned char>(c) <= 0x20;
            })) {
          c_.Error(value->mark, fmt::format("'HealthPath' must be a path starting with '/', "
                                            "without spaces, found '{}'",
                                            value->value));
        }
      }
    }
    if (const yaml::Node* timeout = node->Find("StartTimeout")) {
      if (static_site) {
        c_.Error(timeout->mark, "a static service starts no process: no 'StartTimeout'");
      } else {
        Duration(timeout, "StartTimeout");
      }
    }
    // Without a route they would define half a service.
    if (route == nullptr) {
      for (const yaml::MapEntry& entry : node->entries) {
        const std::string& key = entry.key.value;
        if (key == "StripPrefix" || key == "Kind" || key == "Spa" || key == "HealthPath" ||
            key == "StartTimeout") {
          c_.Error(entry.key.mark, fmt::format("'{}' needs 'Route': together they define the "
                                               "service (the path prefix the gateway serves it "
                                               "under)",
                                               key));
        }
      }
    }
  }

  void Verify(const yaml::Node* configuration) {
    const yaml::Node* node = Mapping(configuration, true);
    if (node == nullptr) return;
    c_.CheckKeys(*node, context_, {"BaseUrl", "Checks", "Deadline", "Interval", "Service"},
                 {"Checks"});
    Duration(node->Find("Deadline"), "Deadline");
    Duration(node->Find("Interval"), "Interval");
    if (const yaml::Node* base = node->Find("BaseUrl")) {
      if (auto value = c_.String(*base, "BaseUrl")) {
        // The full rules are the HTTP client's; these are the ones worth a position.
        std::string lower = AsciiLower(value->value);
        if (!lower.starts_with("http://") ||
            value->value.find_first_of(" \t\r\n") != std::string::npos) {
          c_.Error(value->mark, fmt::format("'BaseUrl' must be http://HOST[:PORT][/PREFIX], found "
                                            "'{}'",
                                            value->value));
        }
      }
    }
    if (const yaml::Node* service = node->Find("Service")) {
      if (auto value = c_.String(*service, "Service")) c_.CheckName(*value, "service name", 63);
    }
    const yaml::Node* checks = node->Find("Checks");
    if (checks == nullptr || !c_.ExpectList(*checks, "Checks")) return;
    if (checks->items.empty()) c_.Error(checks->mark, "'Checks' is empty; list at least one check");
    static const std::vector<std::string_view> kMethods = {"GET",   "HEAD",   "POST",   "PUT",
                                                           "PATCH", "DELETE", "OPTIONS"};
    std::set<std::string, std::less<>> captured;  // by the checks so far
    for (const yaml::Node& check : checks->items) {
      if (!c_.ExpectMap(check, "Checks")) continue;
      c_.CheckKeys(check, {"in a check", "the check"},
                   {"Name", "Method", "Path", "Body", "Headers", "ExpectStatus", "ExpectBody",
                    "ExpectJson", "Capture"},
                   {"Path", "ExpectStatus"});
      if (const yaml::Node* name = check.Find("Name")) c_.String(*name, "Name");
      if (const yaml::Node* method = check.Find("Method")) {
        if (auto value = c_.String(*method, "Method")) {
          if (std::find(kMethods.begin(), kMethods.end(), value->value) == kMethods.end()) {
            c_.Error(value->mark,
                     fmt::format("unknown HTTP method '{}' (expected {})", value->value,
                                 "GET, HEAD, POST, PUT, PATCH, "
                                 "DELETE or OPTIONS"));
          }
        }
      }
      if (const yaml::Node* path = check.Find("Path")) {
        if (auto value = c_.String(*path, "Path"); value && !value->value.starts_with('/')) {
          c_.Error(value->mark, fmt::format("check path '{}' must start with '/'", value->value));
        }
        if (path->IsScalar()) CapturedVariables(*path, captured);
      }
      if (const yaml::Node* body = check.Find("Body")) {
        if (c_.String(*body, "Body")) CapturedVariables(*body, captured);
      }
      if (const yaml::Node* expect = check.Find("ExpectBody")) {
        if (c_.String(*expect, "ExpectBody")) CapturedVariables(*expect, captured);
      }
      if (const yaml::Node* status = check.Find("ExpectStatus")) {
        c_.Integer(*status, "ExpectStatus", 100, 599);
      }
      if (const yaml::Node* headers = check.Find("Headers")) {
        if (c_.ExpectMap(*headers, "Headers")) {
          c_.CheckDuplicateKeys(*headers, "in 'Headers'");
          for (const yaml::MapEntry& header : headers->entries) {
            if (c_.String(header.value, header.key.value)) {
              CapturedVariables(header.value, captured);
            }
          }
        }
      }
      if (const yaml::Node* expect = check.Find("ExpectJson")) {
        if (c_.ExpectMap(*expect, "ExpectJson")) {
          c_.CheckDuplicateKeys(*expect, "in 'ExpectJson'");
          for (const yaml::MapEntry& entry : expect->entries) {
            JsonPointer(entry.key, "ExpectJson");
            if (!entry.value.IsScalar() && !entry.value.IsNull()) {
              c_.Error(entry.value.mark,
                       fmt::format("expected a string, number, boolean or null for '{}', found {}",
                                   entry.key.value, DescribeKind(entry.value)));
            } else if (entry.value.IsScalar() &&
                       entry.value.value.find("${") != std::string::npos) {
              // The run would refuse it: values are compared as written, never substituted.
              c_.Error(entry.value.mark,
                       fmt::format("'ExpectJson' values are compared as written; a reference "
                                   "such as '{}' is replaced only in Path, Body, Headers and "
                                   "ExpectBody (check it with ExpectBody)",
                                   entry.value.value));
            }
          }
        }
      }
      if (const yaml::Node* capture = check.Find("Capture")) {
        if (c_.ExpectMap(*capture, "Capture")) {
          c_.CheckDuplicateKeys(*capture, "in 'Capture'");
          for (const yaml::MapEntry& entry : capture->entries) {
            if (!IsVariableName(entry.key.value)) {
              c_.Error(entry.key.mark,
                       fmt::format("'{}' is not a variable name for 'Capture' (letters, digits "
                                   "and '_', not starting with a digit)",
                                   entry.key.value));
            }
            if (c_.String(entry.value, entry.key.value)) {
              JsonPointer(entry.value, "Capture");
            }
          }
          // Captured after this check has passed: usable from the next check on.
          for (const yaml::MapEntry& entry : capture->entries) captured.insert(entry.key.value);
        }
      }
    }
  }

  void Sync(const yaml::Node* configuration) {
    const yaml::Node* node = Mapping(configuration, true);
    if (node == nullptr) return;
    c_.CheckKeys(*node, context_, {"From", "To", "Commit"}, {"From", "To"});
    if (const yaml::Node* from = node->Find("From")) {
      if (auto value = c_.String(*from, "From")) {
        size_t colon = value->value.find(':');
        if (colon == std::string::npos || colon == 0) {
          c_.Error(value->mark,
                   fmt::format("'From' must be REPOSITORY:PATH, found '{}'", value->value));
        } else {
          c_.CheckName({value->value.substr(0, colon), value->mark}, "repository name", 100);
          SafePath(value->value.substr(colon + 1), value->mark, "From");
        }
      }
    }
    if (const yaml::Node* to = node->Find("To")) {
      if (auto value = c_.String(*to, "To")) {
        // `To` is a path in this repository, or REPOSITORY:PATH.
        size_t colon = value->value.find(':');
        if (colon != std::string::npos) {
          c_.CheckName({value->value.substr(0, colon), value->mark}, "repository name", 100);
        }
        SafePath(colon == std::string::npos ? value->value : value->value.substr(colon + 1),
                 value->mark, "To");
      }
    }
    if (const yaml::Node* commit = node->Find("Commit")) c_.Boolean(*commit, "Commit");
  }

  void Trigger(const yaml::Node* configuration) {
    const yaml::Node* node = Mapping(configuration, true);
    if (node == nullptr) return;
    c_.CheckKeys(*node, context_, {"Repository", "Workflow", "Wait", "Timeout"},
                 {"Repository", "Workflow"});
    if (const yaml::Node* repository = node->Find("Repository")) {
      if (auto value = c_.String(*repository, "Repository")) {
        c_.CheckName(*value, "repository name", 100);
      }
    }
    if (const yaml::Node* workflow = node->Find("Workflow")) {
      if (auto value = c_.String(*workflow, "Workflow")) c_.CheckName(*value, "workflow name", 100);
    }
    if (const yaml::Node* wait = node->Find("Wait")) c_.Boolean(*wait, "Wait");
    Duration(node->Find("Timeout"), "Timeout");
  }

 private:
  void Duration(const yaml::Node* node, std::string_view key) {
    if (node == nullptr) return;
    auto value = c_.String(*node, key);
    if (!value) return;
    if (auto parsed = ParseDuration(value->value); !parsed) {
      c_.Error(value->mark, fmt::format("'{}': {}", key, parsed.error().message()));
    }
  }

  // A gateway route: a path prefix of the characters a URL path holds as clients write it.
  void RoutePrefix(const yaml::Node& route) {
    const std::string& prefix = route.value;
    if (!prefix.starts_with('/')) {
      c_.Error(route.mark,
               fmt::format("'Route' must be a path prefix starting with '/', found '{}'", prefix));
      return;
    }
    auto allowed = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
             std::string_view("/-._~!$&'()*+,;=:@").find(c) != std::string_view::npos;
    };
    auto bad = std::ranges::find_if_not(prefix, allowed);
    if (bad == prefix.end()) return;
    size_t offset = static_cast<size_t>(bad - prefix.begin());
    std::string shown = static_cast<unsigned char>(*bad) < 0x20 ? "a control character"
                        : *bad == ' '                           ? "a space"
                                                                : fmt::format("'{}'", *bad);
    c_.Error(c_.PositionInScalar(route, offset, std::string(1, *bad)),
             fmt::format("'Route' must not contain {}: a route is a path prefix such as /api "
                         "(no query, fragment or percent-encoding)",
                         shown));
  }

  // A check's `${NAME}` (not a workflow reference) must be captured by an earlier check.
  void CapturedVariables(const yaml::Node& scalar,
                         const std::set<std::string, std::less<>>& captured) {
    const std::string& text = scalar.value;
    for (size_t i = text.find("${"); i != std::string::npos; i = text.find("${", i + 1)) {
      size_t end = text.find('}', i + 2);
      if (end == std::string::npos) return;
      std::string name = text.substr(i + 2, end - i - 2);
      if (!IsVariableName(name) || captured.contains(name)) continue;
      c_.Error(c_.PositionInScalar(scalar, i, "${" + name + "}"),
               fmt::format("'${{{}}}' is not captured by an earlier check (add 'Capture: {{{}: "
                           "/json/pointer}}' to one)",
                           name, name));
    }
  }

  // "" (the whole document) or '/'-separated tokens in which '~' is followed by 0 or 1.
  void JsonPointer(const yaml::Node& node, std::string_view key) {
    const std::string& pointer = node.value;
    bool valid = pointer.empty() || pointer.starts_with('/');
    for (size_t i = 0; valid && i < pointer.size(); ++i) {
      if (pointer[i] == '~') {
        valid = i + 1 < pointer.size() && (pointer[i + 1] == '0' || pointer[i + 1] == '1');
      }
    }
    if (!valid) {
      c_.Error(node.mark, fmt::format("'{}': '{}' is not a JSON pointer (like /name or "
                                      "/items/0/id)",
                                      key, pointer));
    }
  }

  void SafePath(std::string_view path, Mark mark, std::string_view key) {
    if (!IsSafeRelativePath(path)) {
      c_.Error(mark, fmt::format("'{}' path '{}' must be relative and stay inside the repository "
                                 "(no leading '/', no '..', no control characters)",
                                 key, path));
    }
  }

  const Action& action_;
  Checker& c_;
  Context context_;
};

}  // namespace

ActionKind ClassifyIdentifier(std::string_view identifier) {
  size_t at = identifier.find('@');
  std::string_view name = identifier.substr(0, at);
  std::string_view version = at == std::string_view::npos ? "" : identifier.substr(at + 1);
  for (const KnownIdentifier& known : kKnown) {
    if (name == known.name && IsVersionOne(version)) return known.kind;
  }
  if (name.starts_with("lockstep/")) return ActionKind::kUnknownLockstep;
  return ActionKind::kPlugin;
}

bool OutputsAreKnown(ActionKind kind) {
  return kind != ActionKind::kPlugin && kind != ActionKind::kUnknownLockstep;
}

std::vector<std::string_view> BuiltInOutputs(ActionKind kind) {
  switch (kind) {
    case ActionKind::kDeploy:
      return {"ReleaseId", "Handler"};
    case ActionKind::kSync:
      return {"ManifestSha256", "CommitId"};
    case ActionKind::kTrigger:
      return {"RunId", "Status"};
    default:
      return {};
  }
}

void CheckActionConfiguration(const Action& action, const yaml::Node* configuration,
                              Checker& checker) {
  ActionKind kind = ClassifyIdentifier(action.identifier.value);
  ConfigurationChecker check(action, checker);
  switch (kind) {
    case ActionKind::kBuild:
    case ActionKind::kManagedTest:
      check.Steps(configuration);
      break;
    case ActionKind::kGitHubActions:
      check.GitHubSteps(configuration);
      break;
    case ActionKind::kApproval:
      check.Approval(configuration);
      break;
    case ActionKind::kDeploy:
      check.Deploy(configuration);
      break;
    case ActionKind::kVerify:
      check.Verify(configuration);
      break;
    case ActionKind::kSync:
      check.Sync(configuration);
      break;
    case ActionKind::kTrigger:
      check.Trigger(configuration);
      break;
    case ActionKind::kUnknownLockstep: {
      std::string message = fmt::format("unknown lockstep action '{}'", action.identifier.value);
      if (auto suggestion = ClosestMatch(action.identifier.value, kLockstepActions)) {
        message += fmt::format("; did you mean '{}'?", *suggestion);
      }
      checker.Error(action.identifier.mark, std::move(message));
      break;
    }
    case ActionKind::kPlugin:
      if (configuration != nullptr && !configuration->IsNull() &&
          checker.ExpectMap(*configuration, "Configuration")) {
        checker.CheckDuplicateKeys(*configuration, "in 'Configuration'", true);
      }
      break;
  }
}

}  // namespace lockstep::workflow
