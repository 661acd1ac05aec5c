// What an action leaves behind for the rest of the run: its output artifacts (stored per run),
// its test reports (JUnit counts), and the FileCaching entries it declares. Thread-compatible.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

#include "base/error.h"
#include "engine/action_log.h"
#include "engine/file_cache.h"
#include "store/store.h"
#include "workflow/model.h"

namespace lockstep::engine {

// The entries of the action's `Caching.FileCaching`, in file order.
std::vector<CacheEntry> CacheEntries(const workflow::Action& action);

// Copies each of the action's `Outputs.Artifacts` from `directory` (its default directory)
// to `artifacts_root`/NAME, replacing an older copy, and returns what was stored. An artifact
// whose Files match nothing fails with kNotFound naming it. Notes each artifact in `log`.
Result<std::vector<store::ArtifactRecord>> StoreArtifacts(
    const workflow::Action& action, const std::filesystem::path& directory,
    const std::filesystem::path& artifacts_root, ActionLog& log);

// Reads the JUnit reports named by `Outputs.Reports` (Format JUNITXML) or found by
// `AutoDiscoverReports` under `directory` and adds up their counts; nullopt when there are
// none. A report that cannot be read is noted in `log` and left out.
Result<std::optional<store::TestCounts>> CollectTestReports(const workflow::Action& action,
                                                            const std::filesystem::path& directory,
                                                            ActionLog& log);

}  // namespace lockstep::engine
