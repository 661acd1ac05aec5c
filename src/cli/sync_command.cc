// `lockstep sync REPOSITORY:PATH[@REVISION] DEST` and `lockstep sync verify DEST`: copy a
// subtree with its integrity manifest, and check a synced folder against its manifest.
#include <fmt/core.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "base/state_directory.h"
#include "cli/api_client.h"
#include "cli/audited_run.h"
#include "cli/command.h"
#include "sync/staging.h"
#include "sync/sync.h"
#include "sync/sync_commit.h"
#include "sync/verify.h"

namespace lockstep::cli {
namespace {

namespace fs = std::filesystem;

struct SyncOptions {
  std::string source;
  std::string destination;
  bool force = false;
  bool commit = false;
  std::string message;
  std::string actor;
  int threads = 0;
  bool json = false;
  std::string verify_destination;
  std::string variables_file;
};

int Report(const Error& error) {
  fmt::print(stderr, "lockstep: error: {}\n", error.ToString());
  return kExitFailure;
}

std::string Bytes(int64_t bytes) {
  if (bytes < 1024) return fmt::format("{} B", bytes);
  if (bytes < 1024 * 1024) return fmt::format("{:.1f} KiB", static_cast<double>(bytes) / 1024.0);
  return fmt::format("{:.1f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
}

int RunSync(const SyncOptions& options) {
  if (options.source.empty() || options.destination.empty()) {
    fmt::print(stderr,
               "lockstep: error: usage: lockstep sync REPOSITORY:PATH[@REVISION] DEST, or "
               "lockstep sync verify DEST\n");
    return kExitUsage;
  }
  if (!options.message.empty() && !options.commit) {
    fmt::print(stderr, "lockstep: error: -m gives the message of --commit; pass --commit too\n");
    return kExitUsage;
  }
  Result<sync::SyncSource> source = sync::ParseSyncSource(options.source);
  if (!source) return Report(source.error());
  sync::SyncRequest request;
  request.source = std::move(*source);
  request.destination = options.destination;
  request.actor = ActorName(options.actor);
  request.force = options.force;
  request.threads = options.threads;
  if (Result<fs::path> state = FindStateDirectory(fs::current_path())) {
    request.mirrors_dir = *state / "mirrors";
  } else if (request.source.repository.find("://") != std::string::npos) {
    return Report(state.error());
  }
  Result<sync::SyncReport> report = sync::SyncTree(request);
  if (!report) return Report(report.error());
  std::string commit_id;
  if (options.commit) {
    Result<std::string> committed = sync::CommitSync(options.destination, *report, options.message);
    if (!committed) return Report(committed.error());
    commit_id = *committed;
  }

  const sync::Manifest& manifest = report->manifest;
  if (Result<fs::path> state = FindStateDirectory(fs::current_path())) {
    std::error_code error;
    RecordInAudit(*state, {.actor = request.actor,
                           .action = "sync",
                           .subject = fmt::format(
                               "{}:{} -> {}", manifest.source_repository, manifest.source_path,
                               fs::absolute(options.destination, error).string()),
                           .details = {{"source_commit", manifest.commit},
                                       {"manifest", manifest.digest},
                                       {"kind", sync::SyncKindName(report->kind)},
                                       {"commit", commit_id}}});
  }
  if (!options.variables_file.empty()) {
    // For lockstep/sync@v1: its output variables, as lines a shell can source (hex only).
    std::ofstream out(options.variables_file, std::ios::trunc);
    out << "ManifestSha256=" << manifest.digest << "\nCommitId=" << commit_id << "\n";
    if (!out.flush()) {
      return Report(ErrnoError(errno, fmt::format("cannot write {}", options.variables_file)));
    }
  }
  if (options.json) {
    nlohmann::ordered_json out = {{"kind", sync::SyncKindName(report->kind)},
                                  {"source_repository", manifest.source_repository},
                                  {"source_path", manifest.source_path},
                                  {"commit", manifest.commit},
                                  {"tree_id", manifest.tree_id},
                                  {"previous_commit", report->previous_commit},
                                  {"destination", options.destination},
                                  {"manifest_sha256", manifest.digest},
                                  {"files", manifest.files.size()},
                                  {"added", report->added},
                                  {"modified", report->modified},
                                  {"removed", report->removed},
                                  {"unchanged", report->unchanged},
                                  {"bytes_written", report->bytes_written},
                                  {"submodules", report->submodules},
                                  {"recovered", report->recovered},
                                  {"commit_id", commit_id}};
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return kExitSuccess;
  }
  if (report->recovered)
    fmt::print("finished an interrupted sync into {} first\n", options.destination);
  std::string from = manifest.source_path.empty()
                         ? manifest.source_repository
                         : fmt::format("{}:{}", manifest.source_repository, manifest.source_path);
  fmt::print("synced {} at {} into {}: {}", from, manifest.commit.substr(0, 7), options.destination,
             sync::SyncKindName(report->kind));
  if (!report->previous_commit.empty() && report->kind != sync::SyncReport::Kind::kUpToDate) {
    fmt::print(" from {}", report->previous_commit.substr(0, 7));
  }
  fmt::print("\n");
  if (!report->full_copy_reason.empty()) {
    fmt::print("  full copy because {}\n", report->full_copy_reason);
  }
  fmt::print("  {} added, {} modified, {} removed, {} unchanged; {} written\n", report->added,
             report->modified, report->removed, report->unchanged, Bytes(report->bytes_written));
  for (const std::string& submodule : report->submodules) {
    fmt::print("  submodule {} not followed\n", submodule);
  }
  fmt::print("  manifest {} ({} file{})\n", manifest.digest, manifest.files.size(),
             manifest.files.size() == 1 ? "" : "s");
  if (options.commit) {
    if (commit_id.empty()) {
      fmt::print("  nothing to commit\n");
    } else {
      fmt::print("  committed {}\n", commit_id.substr(0, 7));
    }
  }
  return kExitSuccess;
}

int RunVerify(const SyncOptions& options) {
  fs::path destination = options.verify_destination;
  // Held while hashing, so that a sync running at the same time does not show up as
  // differences; a sync killed after its commit point is finished first.
  Result<sync::SyncLock> lock = sync::SyncLock::Acquire(fs::absolute(destination));
  if (!lock) return Report(lock.error());
  Result<bool> recovered = sync::RecoverInterruptedSync(fs::absolute(destination));
  if (!recovered) return Report(recovered.error());
  if (*recovered && !options.json) {
    fmt::print("finished an interrupted sync into {} first\n", destination.string());
  }
  Result<sync::Manifest> manifest = sync::ReadManifest(destination);
  if (!manifest) return Report(manifest.error());
  Result<std::vector<sync::Difference>> differences =
      sync::VerifyTree(destination, options.threads);
  if (!differences) return Report(differences.error());
  if (options.json) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const sync::Difference& difference : *differences) {
      list.push_back(
          {{"kind", sync::DifferenceKindName(difference.kind)}, {"path", difference.path}});
    }
    nlohmann::ordered_json out = {{"destination", destination.string()},
                                  {"commit", manifest->commit},
                                  {"files", manifest->files.size()},
                                  {"clean", differences->empty()},
                                  {"differences", list}};
    fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
    return differences->empty() ? kExitSuccess : kExitFailure;
  }
  if (differences->empty()) {
    fmt::print("{}: clean, {} files as synced from {} at {}\n", destination.string(),
               manifest->files.size(), manifest->source_repository, manifest->commit.substr(0, 7));
    return kExitSuccess;
  }
  fmt::print("{}: {} difference{} from the manifest (synced from {} at {})\n", destination.string(),
             differences->size(), differences->size() == 1 ? "" : "s", manifest->source_repository,
             manifest->commit.substr(0, 7));
  for (const sync::Difference& difference : *differences) {
    fmt::print("  {:<13} {}\n", sync::DifferenceKindName(difference.kind), difference.path);
  }
  return kExitFailure;
}

}  // namespace

CommandSpec SyncCommand() {
  return {"sync", "Copy a repository's subtree into a folder with an integrity manifest",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            auto options = std::make_shared<SyncOptions>();
            app.add_option("source", options->source,
                           "REPOSITORY:PATH[@REVISION] (a path or file:// URL; PATH may be "
                           "empty for the whole tree; REVISION defaults to HEAD)");
            app.add_option("destination", options->destination, "The folder to sync into");
            app.add_flag("--force", options->force,
                         "Overwrite uncommitted changes, a foreign or damaged destination; "
                         "copy everything");
            app.add_flag("--commit", options->commit,
                         "Commit the result in the repository that holds the destination");
            app.add_option("-m,--message", options->message, "The commit message (--commit)");
            app.add_option("--actor", options->actor,
                           "Who is syncing, for the manifest (default: $LOCKSTEP_ACTOR or the "
                           "login name)");
            app.add_option("-j,--jobs", options->threads, "Threads (default: one per core)");
            app.add_flag("--json", options->json, "Print the result as JSON");
            app.add_option("--variables-file", options->variables_file,
                           "Also write ManifestSha256=… and CommitId=… lines to this file (for "
                           "workflow steps)");
            CLI::App* verify = app.add_subcommand(
                "verify", "Re-hash a synced folder and compare with its manifest");
            verify->add_option("destination", options->verify_destination, "The synced folder")
                ->required();
            verify->add_option("-j,--jobs", options->threads, "Threads (default: one per core)");
            verify->add_flag("--json", options->json,
                             "Print {destination, commit, files, clean, differences}");
            return [options, verify] {
              return verify->parsed() ? RunVerify(*options) : RunSync(*options);
            };
          }};
}

}  // namespace lockstep::cli
