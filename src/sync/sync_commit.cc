#include "sync/sync_commit.h"

#include <fmt/core.h>

#include "git/repository.h"

namespace lockstep::sync {

std::string SyncCommitMessage(const SyncReport& report, std::string_view message) {
  const Manifest& manifest = report.manifest;
  std::string source = fmt::format("{}:{}", manifest.source_repository, manifest.source_path);
  std::string text = message.empty()
                         ? fmt::format("Sync {} at {}", source, manifest.commit.substr(0, 7))
                         : std::string(message);
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return fmt::format(
      "{}\n\nLockstep-Sync-Source: {}\nLockstep-Sync-Commit: {}\nLockstep-Sync-Manifest: {}\n",
      text, source, manifest.commit, manifest.digest);
}

Result<std::string> CommitSync(const std::filesystem::path& destination, const SyncReport& report,
                               std::string_view message) {
  std::error_code error;
  std::filesystem::path real = std::filesystem::canonical(destination, error);
  if (error) return std::unexpected(ErrnoError(error.value(), destination.string()));
  Result<git::Repository> holder = git::Repository::Open(real);
  if (!holder || holder->work_tree().empty()) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("--commit: {} is not inside a git work tree", destination.string()));
  }
  std::filesystem::path relative =
      real.lexically_relative(std::filesystem::canonical(holder->work_tree(), error));
  return holder->CommitSubtree(relative == "." ? "" : relative.string(),
                               SyncCommitMessage(report, message));
}

}  // namespace lockstep::sync
