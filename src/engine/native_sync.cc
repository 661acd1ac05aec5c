#include "engine/native_sync.h"

#include <fmt/core.h>

#include <algorithm>

#include "engine/step_script.h"

namespace lockstep::engine {
namespace {

namespace fs = std::filesystem;

// A repository name stands for a folder beside this repository: one plain name, no path.
bool IsRepositoryName(std::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

// "NAME:PATH" with NAME resolved to the folder beside `root`; `allow_plain` lets a bare PATH
// mean a path in `root` itself.
Result<std::string> Resolve(std::string_view text, const fs::path& root, bool allow_plain,
                            std::string_view key) {
  // The values reach a shell script (quoted) and the log: no control characters at all.
  if (std::ranges::any_of(text, [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' contains a control character (a line break?)", key));
  }
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    if (!allow_plain) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("'{}' must be REPOSITORY:PATH, found '{}'", key, text));
    }
    return (root / text).lexically_normal().string();
  }
  if (!IsRepositoryName(text.substr(0, colon))) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' must start with a repository name (letters, digits, '-', '_', "
                            "'.'), found '{}'",
                            key, text.substr(0, colon)));
  }
  fs::path repository = (root.parent_path() / text.substr(0, colon)).lexically_normal();
  return fmt::format("{}:{}", repository.string(), text.substr(colon + 1));
}

const yaml::Node* Scalar(const yaml::Node& configuration, std::string_view key) {
  const yaml::Node* node = configuration.IsMap() ? configuration.Find(key) : nullptr;
  return node != nullptr && node->IsScalar() ? node : nullptr;
}

}  // namespace

Result<std::string> SyncStep(const workflow::Action& action, std::string_view workflow_name,
                             const fs::path& root, const fs::path& executable) {
  const yaml::Node* from = Scalar(action.configuration, "From");
  const yaml::Node* to = Scalar(action.configuration, "To");
  if (from == nullptr || to == nullptr) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("action '{}': lockstep/sync@v1 needs Configuration From and To", action.name));
  }
  Result<std::string> source = Resolve(from->value, root, false, "From");
  if (!source) return std::unexpected(source.error());
  Result<std::string> destination = Resolve(to->value, root, true, "To");
  if (!destination) return std::unexpected(destination.error());
  if (size_t colon = destination->find(':'); colon != std::string::npos) {
    // REPOSITORY:PATH as a destination is the path inside that repository.
    *destination = (fs::path(destination->substr(0, colon)) / destination->substr(colon + 1))
                       .lexically_normal()
                       .string();
  }
  const yaml::Node* commit = Scalar(action.configuration, "Commit");
  bool commit_result = commit != nullptr && (commit->value == "true" || commit->value == "True" ||
                                             commit->value == "TRUE");

  std::string command = fmt::format(
      "{} sync --actor {} --variables-file \"$__lockstep_sync_outputs\"",
      ShellQuote(executable.string()), ShellQuote(fmt::format("workflow {}", workflow_name)));
  if (commit_result) {
    command +=
        fmt::format(" --commit -m {}",
                    ShellQuote(fmt::format("Sync {} into {} (workflow {}, action {})", from->value,
                                           to->value, workflow_name, action.name)));
  }
  command += fmt::format(" -- {} {}", ShellQuote(*source), ShellQuote(*destination));
  // The command writes NAME=HEX lines; only hex digits, so sourcing them is safe.
  // The first line, a comment, is the step's title in the log. Only harmless characters go
  // into it: a quote there would confuse the search for ${...} references in the step.
  auto title = [](std::string_view text) {
    std::string out;
    for (char c : text) {
      bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   std::string_view("-_.:/@ ").find(c) != std::string_view::npos;
      out += plain ? c : '?';
    }
    return out;
  };
  return fmt::format(
      "# lockstep/sync@v1: {} -> {}{}\n__lockstep_sync_outputs=$(mktemp)\n{}\n"
      ". \"$__lockstep_sync_outputs\"\nrm -f \"$__lockstep_sync_outputs\"\n",
      title(from->value), title(to->value), commit_result ? ", committed" : "", command);
}

}  // namespace lockstep::engine
