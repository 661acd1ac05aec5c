#include "engine/action_outputs.h"

#include <fmt/core.h>

#include "base/strings.h"
#include "engine/file_glob.h"
#include "engine/junit.h"

namespace lockstep::engine {
namespace {

namespace fs = std::filesystem;

void AddPatterns(const yaml::Node* node, std::vector<std::string>& patterns) {
  if (node == nullptr) return;
  if (node->IsScalar()) patterns.push_back(node->value);
  for (const yaml::Node& item : node->items) patterns.push_back(item.value);
}

}  // namespace

std::vector<CacheEntry> CacheEntries(const workflow::Action& action) {
  std::vector<CacheEntry> entries;
  const yaml::Node* file_caching =
      action.caching.IsMap() ? action.caching.Find("FileCaching") : nullptr;
  if (file_caching == nullptr || !file_caching->IsMap()) return entries;
  for (const yaml::MapEntry& entry : file_caching->entries) {
    CacheEntry cache{.key = entry.key.value, .path = {}, .restore_keys = {}};
    if (const yaml::Node* path = entry.value.Find("Path")) cache.path = path->value;
    AddPatterns(entry.value.Find("RestoreKeys"), cache.restore_keys);
    if (!cache.path.empty()) entries.push_back(std::move(cache));
  }
  return entries;
}

Result<std::vector<store::ArtifactRecord>> StoreArtifacts(const workflow::Action& action,
                                                          const fs::path& directory,
                                                          const fs::path& artifacts_root,
                                                          ActionLog& log) {
  std::vector<store::ArtifactRecord> stored;
  for (const workflow::OutputArtifact& artifact : action.output_artifacts) {
    auto files = FindMatchingFiles(directory, artifact.files);
    if (!files) return std::unexpected(files.error());
    if (files->empty()) {
      return Fail(ErrorCode::kNotFound,
                  fmt::format("artifact '{}': no file matches {}", artifact.name.value,
                              Join(artifact.files, ", ")));
    }
    fs::path destination = artifacts_root / artifact.name.value;
    std::error_code error;
    fs::remove_all(destination, error);
    auto bytes = CopyFiles(directory, *files, destination);
    if (!bytes) return std::unexpected(bytes.error());
    log.Note(fmt::format("artifact '{}': {} file{}, {} bytes", artifact.name.value, files->size(),
                         files->size() == 1 ? "" : "s", *bytes));
    stored.push_back({artifact.name.value, action.name, destination.string(),
                      static_cast<int64_t>(files->size()), *bytes});
  }
  return stored;
}

Result<std::optional<store::TestCounts>> CollectTestReports(const workflow::Action& action,
                                                            const fs::path& directory,
                                                            ActionLog& log) {
  std::vector<std::string> patterns;
  if (action.reports.IsMap()) {
    for (const yaml::MapEntry& report : action.reports.entries) {
      const yaml::Node* format = report.value.Find("Format");
      if (format != nullptr && format->value != "JUNITXML") continue;
      AddPatterns(report.value.Find("IncludePaths"), patterns);
    }
  }
  // AutoDiscoverReports looks at every XML file (or its IncludePaths) and keeps JUnit ones.
  bool discover = false;
  if (action.auto_discover_reports.IsMap()) {
    const yaml::Node* enabled = action.auto_discover_reports.Find("Enabled");
    discover = enabled == nullptr || enabled->value == "true";
    if (discover) {
      const yaml::Node* include = action.auto_discover_reports.Find("IncludePaths");
      if (include == nullptr) patterns.push_back("**/*.xml");
      AddPatterns(include, patterns);
    }
  }
  if (patterns.empty()) return std::nullopt;
  auto files = FindMatchingFiles(directory, patterns);
  if (!files) return std::unexpected(files.error());
  store::TestCounts total;
  int reports = 0;
  for (const std::string& file : *files) {
    fs::path path = directory / file;
    if (discover && !LooksLikeJUnit(path)) continue;
    auto counts = ParseJUnitFile(path);
    if (!counts) {
      log.Note("report not read: " + counts.error().ToString());
      continue;
    }
    ++reports;
    total.passed += counts->passed;
    total.failed += counts->failed;
    total.skipped += counts->skipped;
  }
  if (reports == 0) return std::nullopt;
  log.Note(fmt::format("tests: {} passed, {} failed, {} skipped ({} report{})", total.passed,
                       total.failed, total.skipped, reports, reports == 1 ? "" : "s"));
  return total;
}

}  // namespace lockstep::engine
