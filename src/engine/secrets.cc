#include "engine/secrets.h"

#include <fmt/core.h>
#include <sys/stat.h>

#include "base/file.h"

namespace lockstep::engine {
namespace {

bool NameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
}

}  // namespace

Result<SecretMap> LoadSecretsFile(const std::filesystem::path& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0)
    return std::unexpected(ErrnoError(errno, "cannot read secrets file " + path.string()));
  if ((info.st_mode & 077) != 0) {
    return Fail(ErrorCode::kPermissionDenied,
                fmt::format("secrets file {} can be read or written by others (mode {:o}); "
                            "run: chmod 600 {}",
                            path.string(), info.st_mode & 0777, path.string()));
  }
  auto text = ReadFile(path, size_t{1} << 20);
  if (!text) return std::unexpected(text.error());
  SecretMap secrets;
  std::string_view rest = *text;
  int line_number = 0;
  while (!rest.empty()) {
    ++line_number;
    size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    auto where = [&](size_t column) {
      return SourceLocation{path.string(), line_number, static_cast<int>(column + 1)};
    };
    size_t equals = line.find('=');
    if (equals == std::string_view::npos) {
      return Fail(ErrorCode::kInvalidArgument, "expected NAME=VALUE; this line has no '='",
                  where(first));
    }
    std::string_view name = line.substr(first, equals - first);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.remove_suffix(1);
    if (name.empty() || !std::all_of(name.begin(), name.end(), NameChar)) {
      return Fail(ErrorCode::kInvalidArgument,
                  "invalid secret name: use letters, digits, '_' and '-'", where(first));
    }
    std::string_view value = line.substr(equals + 1);
    if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') &&
        value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    if (!secrets.emplace(name, value).second) {
      return Fail(ErrorCode::kInvalidArgument, fmt::format("secret '{}' is defined twice", name),
                  where(first));
    }
  }
  return secrets;
}

SecretMap SecretsFromEnvironment(char** environment) {
  constexpr std::string_view kPrefix = "LOCKSTEP_SECRET_";
  SecretMap secrets;
  for (char** entry = environment; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text = *entry;
    if (!text.starts_with(kPrefix)) continue;
    size_t equals = text.find('=');
    if (equals == std::string_view::npos || equals == kPrefix.size()) continue;
    secrets[std::string(text.substr(kPrefix.size(), equals - kPrefix.size()))] =
        std::string(text.substr(equals + 1));
  }
  return secrets;
}

}  // namespace lockstep::engine
