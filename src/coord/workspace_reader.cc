#include "coord/workspace_reader.h"

#include <fmt/core.h>

#include <algorithm>

#include "base/strings.h"
#include "runtime/service_spec.h"

namespace lockstep::coord {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kNameRule =
    "1-63 letters, digits, '-', '_' or '.', starting with a letter or digit";

// A branch name git would take, in the short form ("main", "release/2.x"): no whitespace or
// control characters, none of ~^:?*[\ , no "..", "@{" or "//", not starting with '-' or '/',
// not ending with '/', ".lock" or '.'. "refs/heads/main" is refused: the short name is meant.
bool IsBranchName(std::string_view name) {
  if (name.empty() || name.front() == '-' || name.front() == '/' || name.back() == '/' ||
      name.back() == '.' || name.ends_with(".lock") || name.starts_with("refs/")) {
    return false;
  }
  if (name.find("..") != std::string_view::npos || name.find("@{") != std::string_view::npos ||
      name.find("//") != std::string_view::npos || name == "@") {
    return false;
  }
  return std::ranges::none_of(name, [](char c) {
    return static_cast<unsigned char>(c) <= ' ' || c == 0x7f ||
           std::string_view("~^:?*[\\").find(c) != std::string_view::npos;
  });
}

bool IsVariableName(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

void ReadRepository(const yaml::MapEntry& entry, FieldReader& reader, Workspace& workspace) {
  const std::string& name = entry.key.value;
  if (!IsWorkspaceName(name)) {
    reader.Error(entry.key.mark,
                 fmt::format("repository name '{}' must be {}", SanitizedName(name), kNameRule));
    return;
  }
  RepositorySpec spec;
  spec.name = name;
  spec.location = reader.Location(entry.key.mark);
  const yaml::Node& node = entry.value;
  if (!node.IsMap()) {
    reader.Error(node.IsNull() ? entry.key.mark : node.mark,
                 fmt::format("repository '{}' needs a mapping with 'path' or 'url', found {}", name,
                             DescribeKind(node)));
    return;
  }
  reader.CheckKeys(node, fmt::format("in repository '{}'", name),
                   {"path", "url", "branch", "after"});
  const yaml::MapEntry* path = node.FindEntry("path");
  const yaml::MapEntry* url = node.FindEntry("url");
  if (path != nullptr && url != nullptr) {
    reader.Error(url->key.mark,
                 fmt::format("repository '{}' has both 'path' and 'url'; give one: a folder on "
                             "this machine, or a repository lockstep mirrors",
                             name));
  } else if (path == nullptr && url == nullptr) {
    reader.Error(entry.key.mark,
                 fmt::format("repository '{}' needs 'path' (a folder on this machine) or 'url' "
                             "(a repository lockstep mirrors)",
                             name));
  }
  if (path != nullptr) {
    if (std::optional<std::string> text = reader.Text(path->value, "path")) {
      fs::path resolved = fs::path(*text).is_absolute() ? fs::path(*text) : workspace.root / *text;
      resolved = resolved.lexically_normal();
      if (resolved.filename().empty() && resolved.has_parent_path()) {
        resolved = resolved.parent_path();  // "../api/" names the folder "../api"
      }
      spec.path = resolved;
    }
  }
  if (url != nullptr) {
    if (std::optional<std::string> text = reader.Text(url->value, "url")) spec.url = *text;
  }
  if (const yaml::Node* branch = node.Find("branch")) {
    if (std::optional<std::string> text = reader.Text(*branch, "branch")) {
      if (IsBranchName(*text)) {
        spec.branch = *text;
      } else {
        reader.Error(branch->mark, fmt::format("'{}' is not a branch name (write the short name, "
                                               "like main or release/2.x)",
                                               SanitizedName(*text)));
      }
    }
  }
  if (const yaml::Node* after = node.Find("after")) {
    for (auto& [other, mark] : reader.TextList(*after, "after")) {
      spec.after.push_back(std::move(other));
      spec.after_locations.push_back(reader.Location(mark));
    }
  }
  workspace.repositories.push_back(std::move(spec));
}

void ReadEnvironment(const yaml::MapEntry& entry, FieldReader& reader, Workspace& workspace) {
  const std::string& name = entry.key.value;
  if (!IsWorkspaceName(name)) {
    reader.Error(entry.key.mark,
                 fmt::format("environment name '{}' must be {}", SanitizedName(name), kNameRule));
    return;
  }
  EnvironmentSpec spec;
  spec.name = name;
  spec.location = reader.Location(entry.key.mark);
  const yaml::Node& node = entry.value;
  if (!node.IsNull()) {  // `local:` alone is an environment with the defaults
    if (!reader.ExpectMap(node, name)) return;
    reader.CheckKeys(node, fmt::format("in environment '{}'", name),
                     {"auto", "approval", "variables"});
    if (const yaml::Node* value = node.Find("auto")) {
      spec.auto_rollout = reader.Boolean(*value, "auto").value_or(false);
    }
    if (const yaml::Node* approval = node.Find("approval")) {
      if (std::optional<std::string> text = reader.Text(*approval, "approval")) {
        if (*text == "required" || *text == "none") {
          spec.approval_required = *text == "required";
        } else {
          std::string message = fmt::format("unknown approval '{}'", SanitizedName(*text));
          std::string_view choices[] = {"required", "none"};
          if (auto close = ClosestMatch(*text, choices)) {
            message += fmt::format("; did you mean '{}'?", *close);
          } else {
            message += " (expected 'required' or 'none')";
          }
          reader.Error(approval->mark, std::move(message));
        }
      }
    }
    if (const yaml::Node* variables = node.Find("variables")) {
      if (reader.ExpectMap(*variables, "variables")) {
        std::vector<size_t> repeats = reader.CheckDuplicates(*variables, "variable");
        for (size_t i = 0; i < variables->entries.size(); ++i) {
          const yaml::MapEntry& variable = variables->entries[i];
          if (std::ranges::find(repeats, i) != repeats.end()) continue;
          if (!variable.key.IsScalar() || !IsVariableName(variable.key.value)) {
            reader.Error(variable.key.mark,
                         fmt::format("variable name '{}' must be letters, digits and '_', not "
                                     "starting with a digit",
                                     SanitizedName(variable.key.value)));
            continue;
          }
          if (!variable.value.IsScalar() && !variable.value.IsNull()) {
            reader.Error(variable.value.mark,
                         fmt::format("the value of variable '{}' must be a string, found {}",
                                     variable.key.value, DescribeKind(variable.value)));
            continue;
          }
          spec.variables.emplace_back(variable.key.value, variable.value.value);
        }
      }
    }
  }
  workspace.environments.push_back(std::move(spec));
}

// Calls `read` for each entry of the mapping `node` (the section `section`) whose key is a
// scalar and not a repeat of an earlier one.
template <class Read>
void ForEachNamed(const yaml::Node& node, std::string_view section, std::string_view what,
                  FieldReader& reader, Read read) {
  if (node.IsNull()) return;
  if (!reader.ExpectMap(node, section)) return;
  std::vector<size_t> repeats = reader.CheckDuplicates(node, what);
  for (size_t i = 0; i < node.entries.size(); ++i) {
    const yaml::MapEntry& entry = node.entries[i];
    if (std::ranges::find(repeats, i) != repeats.end()) continue;
    if (!entry.key.IsScalar()) {
      reader.Error(entry.key.mark,
                   fmt::format("expected a {} name, found {}", what, DescribeKind(entry.key)));
      continue;
    }
    read(entry);
  }
}

}  // namespace

void ReadRepositories(const yaml::Node& node, FieldReader& reader, Workspace& workspace) {
  ForEachNamed(node, "repositories", "repository", reader,
               [&](const yaml::MapEntry& entry) { ReadRepository(entry, reader, workspace); });
}

void ReadEnvironments(const yaml::Node& node, FieldReader& reader, Workspace& workspace) {
  ForEachNamed(node, "environments", "environment", reader,
               [&](const yaml::MapEntry& entry) { ReadEnvironment(entry, reader, workspace); });
}

void ReadServices(const yaml::Node& node, FieldReader& reader, Workspace& workspace) {
  ForEachNamed(node, "services", "service", reader, [&](const yaml::MapEntry& entry) {
    Result<runtime::ServiceSpec> spec =
        runtime::ReadServiceSpec(entry.key.value, entry.value, reader.file());
    if (!spec) {
      reader.Error(spec.error(), entry.key.mark);
      return;
    }
    workspace.services.push_back(std::move(*spec));
  });
}

}  // namespace lockstep::coord
