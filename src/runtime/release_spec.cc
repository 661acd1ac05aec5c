#include "runtime/release_spec.h"

#include <fmt/core.h>

#include <nlohmann/json.hpp>
#include <set>

#include "yaml/yaml_tree.h"

namespace lockstep::runtime {
namespace {

class SpecReader {
 public:
  explicit SpecReader(std::string_view file) : file_(file) {}

  Result<ReleaseSpec> Read(const yaml::Node& root) {
    if (!root.IsMap()) return Problem(root.mark, "expected a mapping with 'handlers'");
    if (Result<void> keys = OnlyKeys(root, {"handlers"}); !keys)
      return std::unexpected(keys.error());
    const yaml::MapEntry* entry = root.FindEntry("handlers");
    if (entry == nullptr) return Problem(root.mark, "missing 'handlers': the handler chain");
    const yaml::Node& list = entry->value;
    if (!list.IsSequence() || list.items.empty()) {
      return Problem(list.IsNull() ? entry->key.mark : list.mark,
                     "'handlers' must be a non-empty list of {name, command}");
    }
    if (list.items.size() > kMaxHandlers) {
      return Problem(list.items[kMaxHandlers].mark,
                     fmt::format("at most {} handlers in a chain", kMaxHandlers));
    }
    ReleaseSpec spec;
    std::set<std::string> names;
    for (const yaml::Node& item : list.items) {
      Result<Handler> handler = ReadHandler(item);
      if (!handler) return std::unexpected(handler.error());
      if (!names.insert(handler->name).second) {
        return Problem(item.Find("name")->mark,
                       fmt::format("handler '{}' appears twice in the chain", handler->name));
      }
      spec.handlers.push_back(std::move(*handler));
    }
    return spec;
  }

 private:
  Result<Handler> ReadHandler(const yaml::Node& item) {
    if (!item.IsMap()) return Problem(item.mark, "a handler is a mapping {name, command}");
    if (Result<void> keys = OnlyKeys(item, {"name", "command"}); !keys) {
      return std::unexpected(keys.error());
    }
    Handler handler;
    const yaml::Node* name = item.Find("name");
    if (name == nullptr) return Problem(item.mark, "a handler needs a 'name'");
    if (!name->IsScalar() || !IsHandlerName(name->value)) {
      return Problem(name->mark,
                     fmt::format("handler name '{}' must be 1-63 letters, digits, '.', '_' or "
                                 "'-', starting with a letter or digit",
                                 name->IsScalar() ? name->value : ""));
    }
    handler.name = name->value;
    const yaml::Node* command = item.Find("command");
    if (command == nullptr) {
      return Problem(item.mark, fmt::format("handler '{}' needs a 'command'", handler.name));
    }
    if (!command->IsSequence() || command->items.empty()) {
      return Problem(command->mark,
                     fmt::format("handler '{}': 'command' must be a non-empty list of arguments, "
                                 "like [./bin/app, --flag]",
                                 handler.name));
    }
    for (const yaml::Node& argument : command->items) {
      if (!argument.IsScalar()) {
        return Problem(argument.mark, fmt::format("handler '{}': every argument must be a string, "
                                                  "found {}",
                                                  handler.name, yaml::DescribeKind(argument)));
      }
      handler.command.push_back(argument.value);
    }
    const std::string& program = handler.command.front();
    if (std::string problem = ProgramProblem(program); !problem.empty()) {
      return Problem(command->items.front().mark,
                     fmt::format("handler '{}': program '{}' {}", handler.name, program, problem));
    }
    return handler;
  }

  Result<void> OnlyKeys(const yaml::Node& map, std::initializer_list<std::string_view> allowed) {
    std::set<std::string_view> seen;
    for (const yaml::MapEntry& entry : map.entries) {
      std::string_view key = entry.key.value;
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string expected;
        for (std::string_view name : allowed)
          expected += (expected.empty() ? "" : ", ") + std::string(name);
        return Problem(entry.key.mark,
                       fmt::format("unknown key '{}' (expected {})", key, expected));
      }
      if (!seen.insert(key).second) {
        return Problem(entry.key.mark, fmt::format("key '{}' appears twice", key));
      }
    }
    return {};
  }

  static bool IsHandlerName(std::string_view name) {
    if (name.empty() || name.size() > 63) return false;
    auto alnum = [](char c) {
      return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    };
    if (!alnum(name.front())) return false;
    for (char c : name) {
      if (!alnum(c) && c != '.' && c != '_' && c != '-') return false;
    }
    return true;
  }

  // Why a program path is refused, or "" when it is fine.
  static std::string ProgramProblem(std::string_view program) {
    if (program.empty()) return "is empty";
    size_t start = 0;
    while (start <= program.size()) {
      size_t slash = program.find('/', start);
      if (slash == std::string_view::npos) slash = program.size();
      if (program.substr(start, slash - start) == "..") {
        return "has a '..' component; a handler runs from inside its release";
      }
      start = slash + 1;
    }
    bool has_slash = program.find('/') != std::string_view::npos;
    if (has_slash && !program.starts_with("./") && !program.starts_with("/")) {
      return "must start with './' (a file in the release), be absolute, or be a bare name "
             "found on PATH";
    }
    return "";
  }

  std::unexpected<Error> Problem(yaml::Mark mark, std::string message) {
    return std::unexpected<Error>(
        Error(ErrorCode::kInvalidArgument, std::move(message),
              SourceLocation{std::string(file_), mark.line, mark.column}));
  }

  std::string_view file_;
};

}  // namespace

Result<ReleaseSpec> ParseReleaseSpec(std::string_view text, std::string_view file) {
  Result<yaml::Node> root = yaml::ParseYaml(text, file);
  if (!root) return std::unexpected(root.error());
  if (root->IsNull()) {
    return std::unexpected<Error>(Error(ErrorCode::kInvalidArgument,
                                        "empty release file: it needs 'handlers'",
                                        SourceLocation{std::string(file), 1, 1}));
  }
  return SpecReader(file).Read(*root);
}

std::string ReleaseSpecToJson(const ReleaseSpec& spec) {
  nlohmann::ordered_json handlers = nlohmann::ordered_json::array();
  for (const Handler& handler : spec.handlers) {
    handlers.push_back({{"name", handler.name}, {"command", handler.command}});
  }
  return nlohmann::ordered_json{{"handlers", std::move(handlers)}}.dump();
}

}  // namespace lockstep::runtime
