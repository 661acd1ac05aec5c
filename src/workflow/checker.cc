#include "workflow/checker.h"

#include <fmt/core.h>

#include "base/strings.h"

namespace lockstep::workflow {

void Checker::Error(Mark mark, std::string message) {
  diagnostics_.AddError(mark.line, mark.column, std::move(message));
}

void Checker::Warning(Mark mark, std::string message) {
  diagnostics_.AddWarning(mark.line, mark.column, std::move(message));
}

bool Checker::ExpectMap(const yaml::Node& node, std::string_view key) {
  if (node.IsMap()) return true;
  Error(node.mark, fmt::format("expected a mapping for '{}', found {}", key, DescribeKind(node)));
  return false;
}

bool Checker::ExpectList(const yaml::Node& node, std::string_view key) {
  if (node.IsSequence()) return true;
  Error(node.mark, fmt::format("expected a list for '{}', found {}", key, DescribeKind(node)));
  return false;
}

std::vector<size_t> Checker::CheckDuplicateKeys(const yaml::Node& node, std::string_view in,
                                                bool deep) {
  std::vector<size_t> repeats;
  for (size_t i = 0; i < node.entries.size(); ++i) {
    const yaml::Node& key = node.entries[i].key;
    if (deep && (node.entries[i].value.IsMap() || node.entries[i].value.IsSequence())) {
      CheckDuplicateKeysBelow(node.entries[i].value, in);
    }
    if (!key.IsScalar()) continue;
    for (size_t j = 0; j < i; ++j) {
      const yaml::Node& earlier = node.entries[j].key;
      if (earlier.IsScalar() && earlier.value == key.value) {
        Error(key.mark, fmt::format("duplicate key '{}' {}; the first is at line {}", key.value, in,
                                    earlier.mark.line));
        repeats.push_back(i);
        break;
      }
    }
  }
  return repeats;
}

void Checker::CheckDuplicateKeysBelow(const yaml::Node& node, std::string_view in) {
  if (node.IsMap()) CheckDuplicateKeys(node, in, true);
  for (const yaml::Node& item : node.items) CheckDuplicateKeysBelow(item, in);
}

void Checker::CheckKeys(const yaml::Node& node, const Context& context, KeyList allowed,
                        KeyList required, std::optional<Mark> missing_at) {
  std::vector<std::string_view> candidates(allowed);
  std::vector<size_t> repeats = CheckDuplicateKeys(node, context.in);
  for (size_t i = 0; i < node.entries.size(); ++i) {
    const yaml::Node& key = node.entries[i].key;
    if (!key.IsScalar()) {
      Error(key.mark,
            fmt::format("expected a key name {}, found {}", context.in, DescribeKind(key)));
      continue;
    }
    if (std::find(repeats.begin(), repeats.end(), i) != repeats.end()) continue;
    if (std::find(allowed.begin(), allowed.end(), key.value) != allowed.end()) continue;
    std::string message = fmt::format("unknown key '{}' {}", key.value, context.in);
    if (auto suggestion = ClosestMatch(key.value, candidates)) {
      message += fmt::format("; did you mean '{}'?", *suggestion);
    } else {
      message += fmt::format(" (expected {})", QuotedAlternatives(allowed));
    }
    Error(key.mark, std::move(message));
  }
  for (std::string_view name : required) {
    if (node.Find(name) == nullptr) {
      Error(missing_at.value_or(node.mark),
            fmt::format("{} is missing required key '{}'", context.subject, name));
    }
  }
}

std::optional<Located<std::string>> Checker::String(const yaml::Node& node, std::string_view key) {
  if (node.IsScalar() && node.scalar_type() == yaml::ScalarType::kString) {
    return Located<std::string>{node.value, node.mark};
  }
  Error(node.mark, fmt::format("expected a string for '{}', found {}", key, DescribeKind(node)));
  return std::nullopt;
}

std::vector<Located<std::string>> Checker::StringList(const yaml::Node& node,
                                                      std::string_view key) {
  std::vector<Located<std::string>> out;
  if (!ExpectList(node, key)) return out;
  for (const yaml::Node& item : node.items) {
    if (auto value = String(item, key)) out.push_back(std::move(*value));
  }
  return out;
}

std::optional<int> Checker::Integer(const yaml::Node& node, std::string_view key, int min, int max,
                                    std::string_view unit) {
  if (!node.IsScalar() || node.scalar_type() != yaml::ScalarType::kInteger) {
    bool number = node.IsScalar() && node.scalar_type() == yaml::ScalarType::kFloat;
    Error(node.mark, fmt::format("expected a whole number for '{}', found {}", key,
                                 number ? node.value : std::string(DescribeKind(node))));
    return std::nullopt;
  }
  long long value = 0;
  try {
    value = std::stoll(node.value, nullptr, 0);
  } catch (const std::exception&) {
    value = node.value.starts_with('-') ? std::numeric_limits<long long>::min()
                                        : std::numeric_limits<long long>::max();
  }
  if (value < min || value > max) {
    Error(node.mark, fmt::format("'{}' must be between {} and {}{}{}, found {}", key, min, max,
                                 unit.empty() ? "" : " ", unit, node.value));
    return std::nullopt;
  }
  return static_cast<int>(value);
}

std::optional<bool> Checker::Boolean(const yaml::Node& node, std::string_view key) {
  if (node.IsScalar() && node.scalar_type() == yaml::ScalarType::kBool) {
    char first = node.value.empty() ? 'f' : node.value[0];
    return first == 't' || first == 'T';
  }
  Error(node.mark,
        fmt::format("expected true or false for '{}', found {}", key, DescribeKind(node)));
  return std::nullopt;
}

bool Checker::CheckName(const Located<std::string>& name, std::string_view what,
                        size_t max_length) {
  if (name.value.empty()) {
    Error(name.mark, fmt::format("{} is empty", what));
    return false;
  }
  for (char c : name.value) {
    bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    if (!ok) {
      Error(name.mark, fmt::format("invalid {} '{}': use only letters, digits, '-' and '_'{}", what,
                                   name.value, c == ' ' ? " (no spaces)" : ""));
      return false;
    }
  }
  if (name.value.size() > max_length) {
    Error(name.mark,
          fmt::format("{} '{}' is longer than {} characters", what, name.value, max_length));
    return false;
  }
  return true;
}

Mark Checker::PositionInScalar(const yaml::Node& scalar, size_t offset,
                               std::string_view needle) const {
  // Offset of the scalar's first byte in the source.
  size_t start = 0;
  for (int line = 1; line < scalar.mark.line && start != std::string_view::npos; ++line) {
    start = source_.find('\n', start);
    if (start != std::string_view::npos) ++start;
  }
  if (start == std::string_view::npos) return scalar.mark;
  start += static_cast<size_t>(scalar.mark.column - 1);
  bool single_line = scalar.value.find('\n') == std::string::npos;
  size_t found = std::string_view::npos;
  if (single_line && scalar.plain) {
    found = start + offset;
  } else {
    // Quoted or block scalars: escapes, folding and indentation move text around, so find
    // the same occurrence of `needle` in the source instead of computing it.
    size_t occurrence = 0;
    for (size_t at = scalar.value.find(needle); at != std::string::npos && at < offset;
         at = scalar.value.find(needle, at + 1)) {
      ++occurrence;
    }
    found = source_.find(needle, start);
    for (; occurrence > 0 && found != std::string_view::npos; --occurrence) {
      found = source_.find(needle, found + 1);
    }
  }
  if (found == std::string_view::npos || found >= source_.size()) return scalar.mark;
  // Convert the byte offset back to line and column.
  Mark mark{1, 1};
  size_t line_start = 0;
  for (size_t i = 0; i < found; ++i) {
    if (source_[i] == '\n') {
      ++mark.line;
      line_start = i + 1;
    }
  }
  mark.column = static_cast<int>(found - line_start) + 1;
  return mark;
}

std::string QuotedAlternatives(KeyList options) {
  std::string out;
  size_t i = 0;
  for (std::string_view option : options) {
    if (i > 0) out += (i + 1 == options.size()) ? " or " : ", ";
    out += fmt::format("'{}'", option);
    ++i;
  }
  return out;
}

}  // namespace lockstep::workflow
