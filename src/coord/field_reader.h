// FieldReader: the vocabulary of the lockstep.yaml reader. It checks one YAML node at a time
// against what the file expects (lower-case keys, kinds, names, durations) and reports each
// problem to a DiagnosticList at the node's position, so every section words its messages the
// same way. Not thread-safe; one per file.
#pragma once

#include <chrono>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "base/error.h"
#include "yaml/yaml_tree.h"

namespace lockstep::coord {

class FieldReader {
 public:
  explicit FieldReader(DiagnosticList& diagnostics) : diagnostics_(diagnostics) {}

  void Error(yaml::Mark mark, std::string message);
  // An Error whose own location (from a reader of another module) gives the position;
  // `fallback` when it has none.
  void Error(const lockstep::Error& error, yaml::Mark fallback);

  const std::string& file() const { return diagnostics_.file(); }
  SourceLocation Location(yaml::Mark mark) const {
    return {diagnostics_.file(), mark.line, mark.column};
  }

  // "expected a mapping for 'key', found a list" when `node` is not a mapping (or a list).
  bool ExpectMap(const yaml::Node& node, std::string_view key);
  bool ExpectList(const yaml::Node& node, std::string_view key);

  // Reports keys that are not scalars, repeat an earlier key, or are not in `allowed` (with
  // the closest allowed key as a suggestion). `in` places the mapping: "in a sync rule".
  // Returns whether every key was fine.
  bool CheckKeys(const yaml::Node& map, std::string_view in,
                 std::initializer_list<std::string_view> allowed);

  // Reports keys of `map` that repeat an earlier one ("repository 'x' appears twice; the
  // first is at line 3"); `what` names the entries. Returns the indexes of the repeats.
  std::vector<size_t> CheckDuplicates(const yaml::Node& map, std::string_view what);

  // A non-empty scalar, as text (`1.0` and `"1.0"` alike).
  std::optional<std::string> Text(const yaml::Node& node, std::string_view key);
  // A YAML boolean (true/false in any case).
  std::optional<bool> Boolean(const yaml::Node& node, std::string_view key);
  // A duration as ParseDuration reads it ("30s").
  std::optional<std::chrono::milliseconds> Duration(const yaml::Node& node, std::string_view key);
  // A list of non-empty scalars, or a single scalar as a list of one; bad items are reported
  // and skipped. Each comes with its node's position.
  std::vector<std::pair<std::string, yaml::Mark>> TextList(const yaml::Node& node,
                                                           std::string_view key);

 private:
  DiagnosticList& diagnostics_;
};

// Whether `name` can name a repository or an environment: 1-63 letters, digits, '-', '_' or
// '.', starting with a letter or digit (so it never holds the ':' of REPO:PATH).
bool IsWorkspaceName(std::string_view name);

// `name` for a message: control characters as \xNN, cut after 100 bytes.
std::string SanitizedName(std::string_view name);

// "'a', 'b' or 'c'" for messages.
std::string Alternatives(std::initializer_list<std::string_view> options);

}  // namespace lockstep::coord
