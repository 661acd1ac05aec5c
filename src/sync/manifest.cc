#include "sync/manifest.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <system_error>
#include <unordered_set>

#include "base/file.h"
#include "base/json_string.h"
#include "base/sha256.h"
#include "base/strings.h"

namespace lockstep::sync {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;                 // keys kept in byte order: the canonical form
using OrderedJson = nlohmann::ordered_json;  // keys kept as inserted: the readable file

// A manifest of a few hundred thousand files is tens of megabytes; anything far beyond that
// is not a manifest this code wrote.
constexpr size_t kMaxManifestBytes = size_t{512} << 20;

std::string ModeString(uint32_t mode) {
  switch (mode) {
    case kModeRegular:
      return "100644";
    case kModeExecutable:
      return "100755";
    case kModeSymlink:
      return "120000";
    default:
      return fmt::format("{:o}", mode);
  }
}

bool IsLowerHex(std::string_view text) {
  // A table, not comparisons: every file's SHA-256 goes through here.
  static constexpr auto kHex = [] {
    std::array<bool, 256> table{};
    for (char c : std::string_view("0123456789abcdef")) table[static_cast<unsigned char>(c)] = true;
    return table;
  }();
  bool all = true;
  for (char c : text) all &= kHex[static_cast<unsigned char>(c)];
  return all;
}

bool IsDigits(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, [](char c) { return c >= '0' && c <= '9'; });
}

int Number(std::string_view digits) {
  int value = 0;
  for (char c : digits) value = value * 10 + (c - '0');
  return value;
}

// "YYYY-MM-DDTHH:MM:SS[.fraction]Z": RFC 3339 restricted to UTC, as the manifest promises.
bool IsRfc3339Utc(std::string_view time) {
  if (time.size() < 20 || time.back() != 'Z') return false;
  if (time[4] != '-' || time[7] != '-' || time[10] != 'T' || time[13] != ':' || time[16] != ':') {
    return false;
  }
  std::string_view year = time.substr(0, 4), month = time.substr(5, 2), day = time.substr(8, 2);
  std::string_view hour = time.substr(11, 2), minute = time.substr(14, 2);
  std::string_view second = time.substr(17, 2);
  for (std::string_view part : {year, month, day, hour, minute, second}) {
    if (!IsDigits(part)) return false;
  }
  std::string_view rest = time.substr(19, time.size() - 20);
  if (!rest.empty() && (rest[0] != '.' || !IsDigits(rest.substr(1)))) return false;
  return Number(month) >= 1 && Number(month) <= 12 && Number(day) >= 1 && Number(day) <= 31 &&
         Number(hour) <= 23 && Number(minute) <= 59 && Number(second) <= 60;
}

// Why `path` may not appear in a manifest, or "" when it may. Every path must name a place
// strictly inside the synced directory, spelled one way only.
std::string PathProblem(std::string_view path) {
  if (path.empty()) return "path is empty";
  if (path.front() == '/') return "path is absolute";
  if (path.back() == '/') return "path ends in '/'";
  if (path.find('\0') != std::string_view::npos) return "path contains a NUL byte";
  if (path == kManifestFileName) return "path is the manifest itself";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    std::string_view component = path.substr(start, end - start);
    if (component.empty()) return "path contains \"//\"";
    if (component == "." || component == "..") {
      return fmt::format("path contains a \"{}\" component", component);
    }
    start = end + 1;
  }
  return "";
}

// Reads the fields of one JSON object, remembering which ones were asked for so that unknown
// fields can be refused: everything in the file must be covered by the digest and understood.
class FieldReader {
 public:
  FieldReader(const Json& object, std::string where) : object_(object), where_(std::move(where)) {}

  Result<std::string> String(const char* key) {
    Result<const Json*> value = Get(key, Json::value_t::string, "a string");
    if (!value) return std::unexpected(value.error());
    return (*value)->get<std::string>();
  }

  Result<int64_t> Integer(const char* key) {
    Result<const Json*> value = Get(key, Json::value_t::number_integer, "an integer");
    if (!value) return std::unexpected(value.error());
    if ((*value)->is_number_unsigned() &&
        (*value)->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) {
      return Failure(fmt::format("field \"{}\" is too large", key));
    }
    return (*value)->get<int64_t>();
  }

  Result<const Json*> Array(const char* key) { return Get(key, Json::value_t::array, "an array"); }

  // Fails on the first field (in byte order) that was never asked for.
  Result<void> RefuseUnknown() const {
    for (const auto& [key, value] : object_.items()) {
      if (std::ranges::find(asked_, key) == asked_.end()) {
        return Failure(fmt::format("unknown field \"{}\"", key));
      }
    }
    return {};
  }

  std::unexpected<Error> Failure(std::string message) const {
    return Fail(ErrorCode::kInvalidArgument,
                where_.empty() ? std::move(message) : fmt::format("{}: {}", where_, message));
  }

 private:
  Result<const Json*> Get(const char* key, Json::value_t type, const char* type_name) {
    asked_.emplace_back(key);
    auto it = object_.find(key);
    if (it == object_.end()) return Failure(fmt::format("missing field \"{}\"", key));
    bool matches = type == Json::value_t::number_integer
                       ? (it->is_number_integer())  // signed or unsigned, never a fraction
                       : it->type() == type;
    if (!matches) {
      return Failure(
          fmt::format("field \"{}\" must be {}, found {}", key, type_name, it->type_name()));
    }
    return &*it;
  }

  const Json& object_;
  std::string where_;
  std::vector<std::string> asked_;
};

Result<ManifestEntry> ParseEntry(const Json& value, size_t index) {
  std::string where = fmt::format("files[{}]", index);
  if (!value.is_object()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: must be an object, found {}", where, value.type_name()));
  }
  FieldReader reader(value, where);
  ManifestEntry entry;
  Result<std::string> path = reader.String("path");
  if (!path) return std::unexpected(path.error());
  entry.path = std::move(*path);
  if (std::string problem = PathProblem(entry.path); !problem.empty()) {
    return reader.Failure(fmt::format("{}: \"{}\"", problem, entry.path));
  }
  Result<std::string> mode = reader.String("mode");
  if (!mode) return std::unexpected(mode.error());
  if (*mode == "100644") {
    entry.mode = kModeRegular;
  } else if (*mode == "100755") {
    entry.mode = kModeExecutable;
  } else if (*mode == "120000") {
    entry.mode = kModeSymlink;
  } else {
    return reader.Failure(fmt::format(
        "field \"mode\" must be \"100644\", \"100755\" or \"120000\", found \"{}\"", *mode));
  }
  Result<int64_t> size = reader.Integer("size");
  if (!size) return std::unexpected(size.error());
  if (*size < 0) return reader.Failure(fmt::format("field \"size\" is negative: {}", *size));
  entry.size = *size;
  Result<std::string> sha256 = reader.String("sha256");
  if (!sha256) return std::unexpected(sha256.error());
  if (sha256->size() != 64 || !IsLowerHex(*sha256)) {
    return reader.Failure(
        fmt::format("field \"sha256\" must be 64 lower-case hex digits, found \"{}\"", *sha256));
  }
  entry.sha256 = std::move(*sha256);
  if (Result<void> known = reader.RefuseUnknown(); !known) return std::unexpected(known.error());
  return entry;
}

Result<Manifest> ParseObject(const Json& root) {
  if (!root.is_object()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("the manifest must be a JSON object, found {}", root.type_name()));
  }
  FieldReader reader(root, "");
  Manifest manifest;
  Result<int64_t> version = reader.Integer("format_version");
  if (!version) return std::unexpected(version.error());
  if (*version != kManifestFormatVersion) {
    return reader.Failure(fmt::format("unsupported format_version {} (this lockstep reads {})",
                                      *version, kManifestFormatVersion));
  }
  manifest.format_version = kManifestFormatVersion;
  struct TextField {
    const char* key;
    std::string* target;
  };
  for (auto [key, target] :
       {TextField{"source_repository", &manifest.source_repository},
        TextField{"source_path", &manifest.source_path}, TextField{"commit", &manifest.commit},
        TextField{"tree_id", &manifest.tree_id}, TextField{"time", &manifest.time},
        TextField{"actor", &manifest.actor}, TextField{"digest", &manifest.digest}}) {
    Result<std::string> value = reader.String(key);
    if (!value) return std::unexpected(value.error());
    *target = std::move(*value);
  }
  for (auto [key, value] :
       {std::pair{"commit", &manifest.commit}, std::pair{"tree_id", &manifest.tree_id}}) {
    if ((value->size() != 40 && value->size() != 64) || !IsLowerHex(*value)) {
      return reader.Failure(fmt::format(
          "field \"{}\" must be a full object id (40 or 64 lower-case hex digits), found \"{}\"",
          key, *value));
    }
  }
  if (!IsRfc3339Utc(manifest.time)) {
    return reader.Failure(fmt::format(
        "field \"time\" must be RFC 3339 in UTC like \"2026-12-04T18:43:24Z\", found \"{}\"",
        manifest.time));
  }
  if (manifest.digest.size() != 64 || !IsLowerHex(manifest.digest)) {
    return reader.Failure(fmt::format(
        "field \"digest\" must be 64 lower-case hex digits, found \"{}\"", manifest.digest));
  }
  Result<const Json*> files = reader.Array("files");
  if (!files) return std::unexpected(files.error());
  if (Result<void> known = reader.RefuseUnknown(); !known) return std::unexpected(known.error());

  manifest.files.reserve((*files)->size());
  for (const Json& value : **files) {
    size_t index = manifest.files.size();
    Result<ManifestEntry> entry = ParseEntry(value, index);
    if (!entry) return std::unexpected(entry.error());
    if (index > 0) {
      const std::string& previous = manifest.files.back().path;
      if (entry->path == previous) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("files[{}]: duplicate path \"{}\"", index, entry->path));
      }
      if (entry->path < previous) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("files[{}]: paths not sorted: \"{}\" comes after \"{}\"", index,
                                entry->path, previous));
      }
    }
    manifest.files.push_back(std::move(*entry));
  }
  // A file (or link) cannot also be a folder: "l" and "l/x" together would let a later repair
  // write through a link that the manifest itself describes.
  std::set<std::string_view> paths;
  for (const ManifestEntry& entry : manifest.files) paths.insert(entry.path);
  for (size_t index = 0; index < manifest.files.size(); ++index) {
    std::string_view path = manifest.files[index].path;
    for (size_t slash = path.find('/'); slash != std::string_view::npos;
         slash = path.find('/', slash + 1)) {
      if (paths.contains(path.substr(0, slash))) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("files[{}]: \"{}\" is inside \"{}\", which is a file", index, path,
                                path.substr(0, slash)));
      }
    }
  }
  return manifest;
}

// Whether `text` is printable ASCII without '"' or '\\': a JSON string's content exactly as
// it is, which nearly every path and field is. Eight bytes per step (SWAR).
bool IsPlainJsonText(std::string_view text) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHighs = 0x8080808080808080ULL;
  auto has_byte = [](uint64_t block, uint8_t value) {
    uint64_t x = block ^ (kOnes * value);
    return ((x - kOnes) & ~x & kHighs) != 0;
  };
  size_t i = 0;
  for (; i + 8 <= text.size(); i += 8) {
    uint64_t block;
    std::memcpy(&block, text.data() + i, 8);
    bool below_space = ((block - kOnes * 0x20) & ~block & kHighs) != 0;
    if ((block & kHighs) != 0 || below_space || has_byte(block, '"') || has_byte(block, '\\')) {
      return false;
    }
  }
  for (; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return false;
  }
  return true;
}

// The exact layout WriteManifestJson writes, read without a JSON library: for a manifest of
// 20,000 files the general parser is most of an incremental sync's time. Any deviation (a
// reformatted file, an escaped character, an unexpected value) returns nullopt, and the
// general parser then reads the file and names what is wrong.
class WrittenLayoutReader {
 public:
  explicit WrittenLayoutReader(std::string_view text) : rest_(text) {}

  std::optional<Manifest> Read() {
    Manifest manifest;
    int64_t version = 0;
    if (!Literal("{\n  \"format_version\": ") || !Number(version) || !Literal(",\n")) return {};
    if (version != kManifestFormatVersion) return {};
    for (auto [key, target] :
         {std::pair{"source_repository", &manifest.source_repository},
          std::pair{"source_path", &manifest.source_path}, std::pair{"commit", &manifest.commit},
          std::pair{"tree_id", &manifest.tree_id}, std::pair{"time", &manifest.time},
          std::pair{"actor", &manifest.actor}, std::pair{"digest", &manifest.digest}}) {
      if (!Literal("  \"") || !Literal(key) || !Literal("\": ") || !String(*target) ||
          !Literal(",\n")) {
        return {};
      }
    }
    if (Literal("  \"files\": []\n}\n"))
      return rest_.empty() ? std::optional(manifest) : std::nullopt;
    if (!Literal("  \"files\": [\n")) return {};
    manifest.files.reserve(rest_.size() / 150);  // a line per file, most under 150 bytes
    while (true) {
      ManifestEntry entry;
      std::string mode;
      if (!Literal("    {\"path\": ") || !String(entry.path) || !Literal(", \"mode\": ") ||
          !String(mode) || !Literal(", \"size\": ") || !Number(entry.size) ||
          !Literal(", \"sha256\": ") || !String(entry.sha256) || !Literal("}")) {
        return {};
      }
      if (mode == "100644") {
        entry.mode = kModeRegular;
      } else if (mode == "100755") {
        entry.mode = kModeExecutable;
      } else if (mode == "120000") {
        entry.mode = kModeSymlink;
      } else {
        return {};
      }
      manifest.files.push_back(std::move(entry));
      if (Literal(",\n")) continue;
      if (Literal("\n  ]\n}\n") && rest_.empty()) return manifest;
      return {};
    }
  }

 private:
  bool Literal(std::string_view expected) {
    if (!rest_.starts_with(expected)) return false;
    rest_.remove_prefix(expected.size());
    return true;
  }
  // A string with nothing escaped (the general parser handles the rest).
  bool String(std::string& out) {
    if (!Literal("\"")) return false;
    size_t end = rest_.find('"');
    if (end == std::string_view::npos) return false;
    std::string_view text = rest_.substr(0, end);
    if (!IsPlainJsonText(text)) {
      for (char c : text) {
        if (c == '\\' || static_cast<unsigned char>(c) < 0x20) return false;
      }
      if (!IsValidUtf8(text)) return false;
    }
    out.assign(text);
    rest_.remove_prefix(end + 1);
    return true;
  }
  bool Number(int64_t& out) {
    size_t end = 0;
    while (end < rest_.size() && end < 18 && rest_[end] >= '0' && rest_[end] <= '9') ++end;
    if (end == 0 || (end > 1 && rest_[0] == '0')) return false;
    auto [ptr, error] = std::from_chars(rest_.data(), rest_.data() + end, out);
    if (error != std::errc()) return false;
    rest_.remove_prefix(end);
    return true;
  }

  std::string_view rest_;
};

// Whether a manifest read by WrittenLayoutReader meets every rule ParseObject checks; when it
// does not, the general parser reads it again to say which rule failed.
bool MeetsTheRules(const Manifest& manifest) {
  auto full_id = [](const std::string& id) {
    return (id.size() == 40 || id.size() == 64) && IsLowerHex(id);
  };
  if (!full_id(manifest.commit) || !full_id(manifest.tree_id) || !IsRfc3339Utc(manifest.time) ||
      manifest.digest.size() != 64 || !IsLowerHex(manifest.digest)) {
    return false;
  }
  std::unordered_set<std::string_view> paths;
  paths.reserve(manifest.files.size());
  for (size_t i = 0; i < manifest.files.size(); ++i) {
    const ManifestEntry& entry = manifest.files[i];
    if (!PathProblem(entry.path).empty() || entry.sha256.size() != 64 ||
        !IsLowerHex(entry.sha256) || (i > 0 && !(manifest.files[i - 1].path < entry.path))) {
      return false;
    }
    paths.insert(entry.path);
  }
  for (const ManifestEntry& entry : manifest.files) {
    std::string_view path = entry.path;
    for (size_t slash = path.find('/'); slash != std::string_view::npos;
         slash = path.find('/', slash + 1)) {
      if (paths.contains(path.substr(0, slash))) return false;
    }
  }
  return true;
}

// 1-based line and column (in bytes) of the byte at `offset`.
SourceLocation LocationOf(std::string_view text, size_t offset, std::string_view file) {
  offset = std::min(offset, text.size());
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  return SourceLocation{std::string(file), line, static_cast<int>(offset - line_start) + 1};
}

// `text` as a canonical JSON string: only '"', '\\' and control characters escaped (\b \f \n
// \r \t, the rest as \u00xx), as nlohmann's dump without ensure_ascii writes it, which
// also supplies the U+FFFD replacement for text that is not UTF-8.
void AppendCanonicalString(std::string& out, const std::string& text) {
  if (IsPlainJsonText(text)) {
    out += '"';
    out += text;
    out += '"';
    return;
  }
  if (!IsValidUtf8(text)) {
    out += Json(text).dump(-1, ' ', false, Json::error_handler_t::replace);
    return;
  }
  AppendJsonString(text, out);
}

}  // namespace

std::string CanonicalManifestJson(const Manifest& manifest) {
  // Built as text rather than as a JSON document: for 20,000 files the document would take
  // tens of megabytes. Keys in byte order, as the format defines.
  std::string out;
  out.reserve(256 + manifest.files.size() * 160);
  out += "{\"actor\":";
  AppendCanonicalString(out, manifest.actor);
  out += ",\"commit\":";
  AppendCanonicalString(out, manifest.commit);
  out += ",\"files\":[";
  for (size_t i = 0; i < manifest.files.size(); ++i) {
    const ManifestEntry& entry = manifest.files[i];
    if (i > 0) out += ',';
    out += "{\"mode\":\"";
    out += ModeString(entry.mode);
    out += "\",\"path\":";
    AppendCanonicalString(out, entry.path);
    out += ",\"sha256\":";
    AppendCanonicalString(out, entry.sha256);
    out += ",\"size\":";
    out += std::to_string(entry.size);
    out += '}';
  }
  out += "],\"format_version\":";
  out += std::to_string(manifest.format_version);
  out += ",\"source_path\":";
  AppendCanonicalString(out, manifest.source_path);
  out += ",\"source_repository\":";
  AppendCanonicalString(out, manifest.source_repository);
  out += ",\"time\":";
  AppendCanonicalString(out, manifest.time);
  out += ",\"tree_id\":";
  AppendCanonicalString(out, manifest.tree_id);
  out += '}';
  return out;
}

std::string ManifestDigest(const Manifest& manifest) {
  return Sha256Hex(CanonicalManifestJson(manifest));
}

std::string WriteManifestJson(const Manifest& manifest) {
  Manifest sealed = manifest;
  return SealManifest(sealed);
}

std::string SealManifest(Manifest& manifest) {
  manifest.digest = ManifestDigest(manifest);
  auto field = [](std::string& out, std::string_view key, const std::string& value) {
    out += "  \"";
    out += key;
    out += "\": ";
    AppendCanonicalString(out, value);
    out += ",\n";
  };
  // Written by hand rather than by dump(2) so that each file is one line: a diff of two
  // manifests then shows one line per changed file.
  std::string out;
  out.reserve(512 + manifest.files.size() * 180);
  out += fmt::format("{{\n  \"format_version\": {},\n", manifest.format_version);
  field(out, "source_repository", manifest.source_repository);
  field(out, "source_path", manifest.source_path);
  field(out, "commit", manifest.commit);
  field(out, "tree_id", manifest.tree_id);
  field(out, "time", manifest.time);
  field(out, "actor", manifest.actor);
  field(out, "digest", manifest.digest);
  if (manifest.files.empty()) {
    out += "  \"files\": []\n}\n";
    return out;
  }
  out += "  \"files\": [\n";
  for (size_t i = 0; i < manifest.files.size(); ++i) {
    const ManifestEntry& entry = manifest.files[i];
    out += "    {\"path\": ";
    AppendCanonicalString(out, entry.path);
    out += ", \"mode\": \"";
    out += ModeString(entry.mode);
    out += "\", \"size\": ";
    out += std::to_string(entry.size);
    out += ", \"sha256\": \"";
    out += entry.sha256;
    out += i + 1 < manifest.files.size() ? "\"},\n" : "\"}\n";
  }
  out += "  ]\n}\n";
  return out;
}

Result<Manifest> ParseManifestJson(std::string_view text, std::string_view file) {
  if (std::optional<Manifest> written = WrittenLayoutReader(text).Read();
      written && MeetsTheRules(*written)) {
    if (ManifestDigest(*written) != written->digest) {
      return Fail(ErrorCode::kCorruption,
                  "manifest digest does not match: the manifest was changed or damaged",
                  SourceLocation{std::string(file), 0, 0});
    }
    return std::move(*written);
  }
  Json root;
  // JSON lets a key repeat and keeps the last value; a manifest with two "sha256" keys could
  // show one value to a reader and another to the digest, so repeats are refused.
  std::vector<std::set<std::string>> keys;
  std::string repeated;
  auto track_keys = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) {
      keys.emplace_back();
    } else if (event == Json::parse_event_t::object_end && !keys.empty()) {
      keys.pop_back();
    } else if (event == Json::parse_event_t::key && !keys.empty() &&
               !keys.back().insert(parsed.get<std::string>()).second && repeated.empty()) {
      repeated = parsed.get<std::string>();
    }
    return true;
  };
  try {
    root = Json::parse(text, track_keys);
  } catch (const Json::parse_error& error) {
    // what() reads "[json.exception.parse_error.101] parse error at line 1, column 5: ...";
    // keep what follows the position, which we report as a location of our own.
    std::string message = error.what();
    if (size_t column = message.find("column "); column != std::string::npos) {
      if (size_t colon = message.find(": ", column); colon != std::string::npos) {
        message = message.substr(colon + 2);
      }
    }
    // `byte` counts from 1 and points just past the offending character.
    size_t offset = error.byte > 0 ? error.byte - 1 : 0;
    return Fail(ErrorCode::kInvalidArgument, "not valid JSON: " + message,
                LocationOf(text, offset, file));
  }
  if (!repeated.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("key \"{}\" appears twice in one object", repeated),
                SourceLocation{std::string(file), 0, 0});
  }
  Result<Manifest> manifest = ParseObject(root);
  if (!manifest) {
    return Fail(manifest.error().code(), manifest.error().message(),
                SourceLocation{std::string(file), 0, 0});
  }
  if (ManifestDigest(*manifest) != manifest->digest) {
    return Fail(ErrorCode::kCorruption,
                "manifest digest does not match: the manifest was changed or damaged",
                SourceLocation{std::string(file), 0, 0});
  }
  return manifest;
}

Result<Manifest> ReadManifest(const fs::path& directory) {
  fs::path path = directory / kManifestFileName;
  std::error_code error;
  fs::file_status status = fs::symlink_status(path, error);
  if (error && error != std::errc::no_such_file_or_directory) {
    return std::unexpected(ErrnoError(error.value(), path.string()));
  }
  if (!fs::exists(status)) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("{}: no sync manifest (is this a synced directory?)", path.string()));
  }
  if (!fs::is_regular_file(status)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: the sync manifest is not a regular file", path.string()));
  }
  Result<std::string> text = ReadFile(path, kMaxManifestBytes);
  if (!text) return std::unexpected(text.error());
  return ParseManifestJson(*text, path.string());
}

}  // namespace lockstep::sync
