#include "coord/field_reader.h"

#include <fmt/core.h>

#include <algorithm>

#include "base/duration.h"
#include "base/strings.h"

namespace lockstep::coord {

void FieldReader::Error(yaml::Mark mark, std::string message) {
  diagnostics_.AddError(mark.line, mark.column, std::move(message));
}

void FieldReader::Error(const lockstep::Error& error, yaml::Mark fallback) {
  const std::optional<SourceLocation>& location = error.location();
  if (location && location->line > 0) {
    diagnostics_.AddError(location->line, location->column, error.message());
  } else {
    Error(fallback, error.message());
  }
}

bool FieldReader::ExpectMap(const yaml::Node& node, std::string_view key) {
  if (node.IsMap()) return true;
  Error(node.mark, fmt::format("expected a mapping for '{}', found {}", key, DescribeKind(node)));
  return false;
}

bool FieldReader::ExpectList(const yaml::Node& node, std::string_view key) {
  if (node.IsSequence()) return true;
  Error(node.mark, fmt::format("expected a list for '{}', found {}", key, DescribeKind(node)));
  return false;
}

std::vector<size_t> FieldReader::CheckDuplicates(const yaml::Node& map, std::string_view what) {
  std::vector<size_t> repeats;
  for (size_t i = 0; i < map.entries.size(); ++i) {
    const yaml::Node& key = map.entries[i].key;
    if (!key.IsScalar()) continue;
    for (size_t j = 0; j < i; ++j) {
      const yaml::Node& earlier = map.entries[j].key;
      if (earlier.IsScalar() && earlier.value == key.value) {
        Error(key.mark, fmt::format("{} '{}' appears twice; the first is at line {}", what,
                                    key.value, earlier.mark.line));
        repeats.push_back(i);
        break;
      }
    }
  }
  return repeats;
}

bool FieldReader::CheckKeys(const yaml::Node& map, std::string_view in,
                            std::initializer_list<std::string_view> allowed) {
  std::vector<std::string_view> candidates(allowed);
  bool fine = CheckDuplicates(map, "key").empty();
  for (const yaml::MapEntry& entry : map.entries) {
    const yaml::Node& key = entry.key;
    if (!key.IsScalar()) {
      Error(key.mark, fmt::format("expected a key name {}, found {}", in, DescribeKind(key)));
      fine = false;
      continue;
    }
    if (std::ranges::find(candidates, key.value) != candidates.end()) continue;
    fine = false;
    std::string message = fmt::format("unknown key '{}' {}", key.value, in);
    if (auto suggestion = ClosestMatch(key.value, candidates)) {
      message += fmt::format("; did you mean '{}'?", *suggestion);
    } else {
      message += fmt::format(" (expected {})", Alternatives(allowed));
    }
    Error(key.mark, std::move(message));
  }
  return fine;
}

std::optional<std::string> FieldReader::Text(const yaml::Node& node, std::string_view key) {
  if (!node.IsScalar() || node.value.empty()) {
    Error(node.mark, fmt::format("expected a string for '{}', found {}", key,
                                 node.IsScalar() ? "an empty string" : DescribeKind(node)));
    return std::nullopt;
  }
  return node.value;
}

std::optional<bool> FieldReader::Boolean(const yaml::Node& node, std::string_view key) {
  if (node.IsScalar() && node.scalar_type() == yaml::ScalarType::kBool) {
    return AsciiLower(node.value) == "true";
  }
  Error(node.mark, fmt::format("expected true or false for '{}', found {}", key,
                               node.IsScalar() ? "'" + node.value + "'" : DescribeKind(node)));
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> FieldReader::Duration(const yaml::Node& node,
                                                               std::string_view key) {
  std::optional<std::string> text = Text(node, key);
  if (!text) return std::nullopt;
  Result<std::chrono::milliseconds> duration = ParseDuration(*text);
  if (!duration) {
    Error(node.mark, fmt::format("'{}': {}", key, duration.error().message()));
    return std::nullopt;
  }
  return *duration;
}

std::vector<std::pair<std::string, yaml::Mark>> FieldReader::TextList(const yaml::Node& node,
                                                                      std::string_view key) {
  std::vector<std::pair<std::string, yaml::Mark>> out;
  if (node.IsScalar()) {
    if (std::optional<std::string> text = Text(node, key)) out.emplace_back(*text, node.mark);
    return out;
  }
  if (!ExpectList(node, key)) return out;
  for (const yaml::Node& item : node.items) {
    if (std::optional<std::string> text = Text(item, key)) out.emplace_back(*text, item.mark);
  }
  return out;
}

bool IsWorkspaceName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  return alnum(name.front()) && std::ranges::all_of(name, [&](char c) {
           return alnum(c) || c == '-' || c == '_' || c == '.';
         });
}

std::string SanitizedName(std::string_view name) {
  std::string out;
  for (char c : name.substr(0, 100)) {
    auto byte = static_cast<unsigned char>(c);
    out += byte < 0x20 || byte == 0x7f ? fmt::format("\\x{:02x}", byte) : std::string(1, c);
  }
  if (name.size() > 100) out += "…";
  return out;
}

std::string Alternatives(std::initializer_list<std::string_view> options) {
  std::string out;
  size_t i = 0;
  for (std::string_view option : options) {
    if (i > 0) out += i + 1 == options.size() ? " or " : ", ";
    out += fmt::format("'{}'", option);
    ++i;
  }
  return out;
}

}  // namespace lockstep::coord
