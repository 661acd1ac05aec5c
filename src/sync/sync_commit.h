// Committing a synced folder into the repository that holds it, with trailers that name the
// source, so `git log` shows where every synced change came from. Thread-compatible.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "base/error.h"
#include "sync/sync.h"

namespace lockstep::sync {

// The commit message: `message` (or "Sync REPOSITORY:PATH at <short commit>" when empty),
// a blank line, then the trailers
//   Lockstep-Sync-Source: REPOSITORY:PATH
//   Lockstep-Sync-Commit: <full source commit>
//   Lockstep-Sync-Manifest: <manifest digest>
std::string SyncCommitMessage(const SyncReport& report, std::string_view message);

// Commits everything under `destination` (and only that) on the current branch of the
// repository that holds it. Returns the commit id, or "" when nothing changed. kNotFound when
// the destination is in no repository's work tree.
Result<std::string> CommitSync(const std::filesystem::path& destination, const SyncReport& report,
                               std::string_view message);

}  // namespace lockstep::sync
