// Checker: the shared vocabulary of the workflow reader. It checks one YAML node at a time
// against what the format expects (kind, keys, ranges, names) and reports problems to a
// DiagnosticList in compiler style, so that every part of the reader words its messages the
// same way. Not thread-safe; one per file.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "workflow/model.h"
#include "yaml/yaml_tree.h"

namespace lockstep::workflow {

using KeyList = std::initializer_list<std::string_view>;

// Where a mapping sits, for messages: `in` follows "unknown key 'X' …" ("in action 'Build'"),
// `subject` starts "… is missing required key 'Y'" ("action 'Build'").
struct Context {
  std::string in;
  std::string subject;
};

class Checker {
 public:
  Checker(DiagnosticList& diagnostics, std::string_view source)
      : diagnostics_(diagnostics), source_(source) {}

  void Error(Mark mark, std::string message);
  void Warning(Mark mark, std::string message);

  // Each Expect* reports "expected X for 'key', found Y" and returns false when `node` is not
  // of that kind.
  bool ExpectMap(const yaml::Node& node, std::string_view key);
  bool ExpectList(const yaml::Node& node, std::string_view key);

  // Reports duplicate keys, keys that are not scalars, keys not in `allowed` (with the closest
  // one as a suggestion) and `required` keys that are missing. `node` must be a mapping.
  // Missing keys are reported at `missing_at` when given, else at the mapping.
  void CheckKeys(const yaml::Node& node, const Context& context, KeyList allowed,
                 KeyList required = {}, std::optional<Mark> missing_at = std::nullopt);

  // Reports every key of mapping `node` that repeats an earlier one; `in` places it
  // ("in 'Reports'"). With `deep`, nested mappings too. Returns the indexes of the repeats.
  std::vector<size_t> CheckDuplicateKeys(const yaml::Node& node, std::string_view in,
                                         bool deep = false);

  // A string value: plain scalars of other types are refused, as AWS's schema does.
  std::optional<Located<std::string>> String(const yaml::Node& node, std::string_view key);
  // A list of strings; a wrong item is reported and skipped.
  std::vector<Located<std::string>> StringList(const yaml::Node& node, std::string_view key);
  // An integer in [min, max]; `unit` ("minutes") follows the range in messages.
  std::optional<int> Integer(const yaml::Node& node, std::string_view key, int min, int max,
                             std::string_view unit = "");
  // A YAML boolean.
  std::optional<bool> Boolean(const yaml::Node& node, std::string_view key);

  // Checks `name` against ^[A-Za-z0-9_-]+$ and 1..max_length characters; `what` names the
  // thing ("action name"). Returns whether it is valid.
  bool CheckName(const Located<std::string>& name, std::string_view what, size_t max_length);

  // The position of byte `offset` of a scalar's value, where it can be found in the source:
  // exact for single-line scalars, searched for in block and multi-line scalars.
  Mark PositionInScalar(const yaml::Node& scalar, size_t offset, std::string_view needle) const;

  std::string_view source() const { return source_; }

 private:
  void CheckDuplicateKeysBelow(const yaml::Node& node, std::string_view in);

  DiagnosticList& diagnostics_;
  std::string_view source_;
};

// "'a', 'b' or 'c'" for messages.
std::string QuotedAlternatives(KeyList options);

}  // namespace lockstep::workflow
