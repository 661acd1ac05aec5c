#include "engine/action_workspace.h"

#include <fmt/core.h>

#include "base/file.h"
#include "engine/action_outputs.h"
#include "engine/file_glob.h"

namespace lockstep::engine {

namespace fs = std::filesystem;

namespace {

bool IsEmptyDirectory(const fs::path& path) {
  std::error_code error;
  return fs::is_directory(path, error) && fs::is_empty(path, error) && !error;
}

constexpr std::string_view kSources = "WorkflowSource";

// A folder holding only an empty .tmp, and maybe a source copy: ready for an action.
bool IsEmptySlot(const fs::path& root) {
  std::error_code error;
  auto entries = fs::directory_iterator(root, error);
  if (error) return false;
  for (const fs::directory_entry& entry : entries) {
    if (entry.path().filename() != ".tmp" && entry.path().filename() != kSources) return false;
  }
  return IsEmptyDirectory(root / ".tmp");
}

}  // namespace

bool RecycleActionWorkspace(const fs::path& root) {
  std::error_code error;
  for (const fs::path& directory : {root, root / ".tmp"}) {
    std::vector<fs::path> doomed;
    for (const fs::directory_entry& entry : fs::directory_iterator(directory, error)) {
      // The source copy stays: the next action that wants one refreshes it, which costs a
      // listing per folder instead of a link and an unlink per file.
      if (directory == root &&
          (entry.path().filename() == ".tmp" || entry.path().filename() == kSources)) {
        continue;
      }
      doomed.push_back(entry.path());
    }
    if (error) return false;
    for (const fs::path& path : doomed) {
      if (!RemoveTree(path)) return false;
    }
  }
  return IsEmptySlot(root);
}

Result<ActionWorkspace> PrepareActionWorkspace(const workflow::Action& action, const fs::path& root,
                                               const SourceSnapshot* snapshot,
                                               const std::map<std::string, fs::path>& artifacts,
                                               FileCache& cache, ActionLog& log) {
  ActionWorkspace workspace{root, {}, root / ".tmp"};
  if (!IsEmptySlot(root)) {
    if (auto removed = RemoveTree(root); !removed) return std::unexpected(removed.error());
    std::error_code error;
    fs::create_directories(workspace.temp_dir, error);
    if (error) {
      return Fail(ErrorCode::kIoError,
                  fmt::format("cannot create {}: {}", root.string(), error.message()));
    }
  }
  const bool wants_sources =
      snapshot != nullptr &&
      std::any_of(action.input_sources.begin(), action.input_sources.end(),
                  [](const auto& source) { return source.value == kSources; });
  const fs::path sources = root / kSources;
  std::error_code missing;
  const bool has_copy = fs::is_directory(sources, missing);
  if (wants_sources) {
    // A copy left in the slot by an earlier action is refreshed; if that fails, made afresh.
    bool refreshed = has_copy && snapshot->Refresh(sources).has_value();
    if (!refreshed) {
      if (auto removed = RemoveTree(sources); !removed) return std::unexpected(removed.error());
      auto linked = snapshot->LinkInto(sources);
      if (!linked) return std::unexpected(linked.error());
    }
    workspace.default_dir = sources;
  } else if (has_copy) {
    if (auto removed = RemoveTree(sources); !removed) return std::unexpected(removed.error());
  }
  for (const auto& artifact : action.input_artifacts) {
    auto stored = artifacts.find(artifact.value);
    if (stored == artifacts.end()) {
      return Fail(ErrorCode::kNotFound,
                  fmt::format("input artifact '{}' was not produced in this run", artifact.value));
    }
    // A real copy: artifacts are small, and the next consumer must see them unchanged.
    fs::path destination = root / "artifacts" / artifact.value;
    auto copied = CopyTree(stored->second, destination);
    if (!copied) return std::unexpected(copied.error());
    if (workspace.default_dir.empty()) workspace.default_dir = destination;
  }
  if (workspace.default_dir.empty()) workspace.default_dir = root;
  for (const CacheEntry& entry : CacheEntries(action)) {
    auto restored = cache.Restore(entry, workspace.default_dir);
    if (!restored) return std::unexpected(restored.error());
    if (!restored->empty())
      log.Note(fmt::format("cache '{}' restored from '{}'", entry.key, *restored));
  }
  return workspace;
}

}  // namespace lockstep::engine
