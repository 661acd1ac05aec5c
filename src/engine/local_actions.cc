#include "engine/local_actions.h"

#include <fmt/core.h>

#include "base/file.h"
#include "yaml/yaml_tree.h"

namespace lockstep::engine {
namespace {

class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  Result<void> ReadSection(const yaml::Node& section, std::string_view title,
                           std::map<std::string, std::vector<std::string>>& out) {
    if (!section.IsMap()) return Error(section.mark, fmt::format("'{}' must be a map", title));
    for (const yaml::MapEntry& entry : section.entries) {
      const yaml::Node* steps = entry.value.IsMap() ? entry.value.Find("Steps") : nullptr;
      if (steps == nullptr || !steps->IsSequence() || steps->items.empty()) {
        return Error(entry.key.mark,
                     fmt::format("'{}' needs 'Steps', a list of '- Run: …'", entry.key.value));
      }
      std::vector<std::string> runs;
      for (const yaml::Node& step : steps->items) {
        const yaml::Node* run = step.IsMap() ? step.Find("Run") : nullptr;
        if (run == nullptr || !run->IsScalar())
          return Error(step.mark, "each step must be '- Run: COMMAND'");
        runs.push_back(run->value);
      }
      if (!out.emplace(entry.key.value, std::move(runs)).second)
        return Error(entry.key.mark, fmt::format("'{}' is mapped twice", entry.key.value));
    }
    return {};
  }

  Result<void> ReadSandbox(const yaml::Node& section, std::map<std::string, SandboxSetting>& out) {
    if (!section.IsMap()) return Error(section.mark, "'Sandbox' must be a map of action names");
    for (const yaml::MapEntry& entry : section.entries) {
      SandboxSetting setting;
      if (entry.value.IsMap()) {
        for (const yaml::MapEntry& option : entry.value.entries) {
          if (option.key.value != "Network") {
            return Error(option.key.mark,
                         fmt::format("unknown key '{}'; expected 'Network'", option.key.value));
          }
          if (option.value.value != "true" && option.value.value != "false")
            return Error(option.value.mark, "'Network' must be true or false");
          setting.network = option.value.value == "true";
        }
      } else if (!entry.value.IsNull()) {
        return Error(entry.value.mark, "expected {} or {Network: true}");
      }
      if (!out.emplace(entry.key.value, setting).second)
        return Error(entry.key.mark, fmt::format("'{}' is listed twice", entry.key.value));
    }
    return {};
  }

  std::unexpected<lockstep::Error> Error(yaml::Mark mark, std::string message) const {
    return Fail(ErrorCode::kInvalidArgument, std::move(message),
                SourceLocation{file_, mark.line, mark.column});
  }

 private:
  std::string file_;
};

}  // namespace

const std::vector<std::string>* LocalActions::Find(const std::string& action,
                                                   const std::string& identifier) const {
  if (auto it = by_action.find(action); it != by_action.end()) return &it->second;
  if (auto it = by_identifier.find(identifier); it != by_identifier.end()) return &it->second;
  return nullptr;
}

Result<LocalActions> LoadLocalActions(const std::filesystem::path& path) {
  LocalActions actions;
  auto text = ReadFile(path);
  if (!text) {
    if (text.error().code() == ErrorCode::kNotFound) return actions;
    return std::unexpected(text.error());
  }
  auto root = yaml::ParseYaml(*text, path.string());
  if (!root) return std::unexpected(root.error());
  if (root->IsNull()) return actions;
  Reader reader(path.string());
  if (!root->IsMap())
    return reader.Error(root->mark, "expected a map with 'Actions', 'Identifiers' or 'Sandbox'");
  for (const yaml::MapEntry& entry : root->entries) {
    Result<void> read;
    if (entry.key.value == "Actions") {
      read = reader.ReadSection(entry.value, "Actions", actions.by_action);
    } else if (entry.key.value == "Identifiers") {
      read = reader.ReadSection(entry.value, "Identifiers", actions.by_identifier);
    } else if (entry.key.value == "Sandbox") {
      read = reader.ReadSandbox(entry.value, actions.sandbox);
    } else {
      read = reader.Error(entry.key.mark,
                          fmt::format("unknown key '{}'; expected 'Actions', 'Identifiers' or "
                                      "'Sandbox'",
                                      entry.key.value));
    }
    if (!read) return std::unexpected(read.error());
  }
  return actions;
}

}  // namespace lockstep::engine
