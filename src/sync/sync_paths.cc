#include "sync/sync_paths.h"

#include <fmt/core.h>

#include <vector>

#include "base/strings.h"
#include "sync/manifest.h"

namespace lockstep::sync {
namespace {

std::vector<std::string_view> Components(std::string_view path) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

}  // namespace

// `text` with bytes that are not printable ASCII as \xNN, for an error message.
std::string SanitizedForMessage(std::string_view text) {
  std::string out;
  for (char c : text) {
    auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f) {
      out += c;
    } else {
      out += fmt::format("\\x{:02x}", byte);
    }
  }
  return out;
}

Result<void> CheckSourcePath(std::string_view path) {
  if (!IsValidUtf8(path)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("the source has a file whose name is not valid UTF-8 ('{}'), which "
                            "a manifest cannot record",
                            SanitizedForMessage(path)));
  }
  if (path != kManifestFileName) return {};
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("the source folder has its own {} at the top, where the sync writes its "
                          "own manifest; sync a folder without one at its top",
                          kManifestFileName));
}

Result<std::string> NormalizeSubpath(std::string_view subpath) {
  if (!subpath.empty() && subpath.front() == '/') {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("source path '{}' is absolute; give a path inside the repository", subpath));
  }
  std::string normal;
  for (std::string_view part : Components(subpath)) {
    if (part == "." || part == "..") {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("source path '{}' contains '{}'; give a plain path inside the "
                              "repository",
                              subpath, part));
    }
    if (!normal.empty()) normal += '/';
    normal += part;
  }
  return normal;
}

Result<void> CheckLinkTarget(std::string_view link_path, std::string_view target) {
  auto refuse = [&](std::string_view why) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("symbolic link '{}' -> '{}' {}; a sync copies only what is inside "
                            "the synced subtree",
                            link_path, target, why));
  };
  if (target.empty()) return refuse("has an empty target");
  if (target.front() == '/') return refuse("is absolute");
  // Depth of the link's folder below the root, then walk the target from there.
  std::vector<std::string_view> folder = Components(link_path);
  if (!folder.empty()) folder.pop_back();
  size_t depth = folder.size();
  bool named = false;
  for (std::string_view part : Components(target)) {
    if (part == ".") continue;
    if (part == "..") {
      // After a name, ".." undoes it only if it is a folder; if it is a link (a/s -> ".."),
      // "s/.." goes up from where the link leads, which can be outside the subtree.
      if (named) return refuse("has '..' after a name, which another link could lead outside");
      if (depth == 0) return refuse("points outside the subtree");
      --depth;
    } else {
      named = true;
      ++depth;
    }
  }
  return {};
}

bool IsWithin(const std::filesystem::path& inner, const std::filesystem::path& outer) {
  auto i = inner.begin();
  for (auto o = outer.begin(); o != outer.end(); ++o, ++i) {
    if (o->empty() && std::next(o) == outer.end()) break;  // a trailing separator
    if (i == inner.end() || *i != *o) return false;
  }
  return true;
}

}  // namespace lockstep::sync
