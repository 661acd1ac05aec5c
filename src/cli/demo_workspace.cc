#include "cli/demo_workspace.h"

#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <fstream>
#include <sstream>
#include <vector>

#include "git/repository.h"

namespace lockstep::cli {
namespace {

namespace fs = std::filesystem;

// What a build of an example repository leaves in its folder; not part of the repository.
constexpr std::array<std::string_view, 5> kNotCopied = {"build", "out", "bin", "reports", ".git"};

bool NotCopied(const fs::path& name) {
  for (std::string_view skipped : kNotCopied) {
    if (name == skipped) return true;
  }
  return false;
}

Result<void> CopyRepository(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::create_directories(to, error);
  for (fs::directory_iterator it(from, error), end; !error && it != end; it.increment(error)) {
    const fs::path name = it->path().filename();
    if (NotCopied(name)) continue;
    fs::copy(it->path(), to / name, fs::copy_options::recursive, error);
    if (error) break;
  }
  if (error) {
    return Fail(ErrorCode::kIoError, fmt::format("cannot copy {} to {}: {}", from.string(),
                                                 to.string(), error.message()));
  }
  return {};
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(ErrorCode::kNotFound, fmt::format("cannot read {}", path.string()));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

Result<fs::path> FindRegistryExample(const fs::path& executable) {
  std::vector<fs::path> places = {executable.parent_path().parent_path() /
                                  "share/lockstep/examples/registry"};
#ifdef LOCKSTEP_EXAMPLES_DIR
  places.push_back(fs::path(LOCKSTEP_EXAMPLES_DIR) / "registry");
#endif
  std::error_code error;
  for (const fs::path& place : places) {
    if (fs::is_regular_file(place / "lockstep.yaml", error)) return place;
  }
  std::string looked;
  for (const fs::path& place : places) looked += (looked.empty() ? "" : ", ") + place.string();
  return Fail(ErrorCode::kNotFound,
              fmt::format("the registry example is not installed (looked in {})", looked));
}

fs::path NewDemoDirectory(const fs::path& parent) {
  std::error_code error;
  fs::path candidate = parent / "lockstep-demo";
  for (int n = 2; fs::exists(candidate, error); ++n) {
    candidate = parent / fmt::format("lockstep-demo-{}", n);
  }
  return candidate;
}

Result<void> LayOutDemoWorkspace(const fs::path& example, const fs::path& directory) {
  std::error_code error;
  if (fs::exists(directory, error) && !fs::is_empty(directory, error)) {
    return Fail(
        ErrorCode::kAlreadyExists,
        fmt::format("{} is not empty: give the demo a new folder with --dir", directory.string()));
  }
  fs::create_directories(directory, error);
  fs::copy_file(example / "lockstep.yaml", directory / "lockstep.yaml", error);
  if (error) {
    return Fail(ErrorCode::kIoError,
                fmt::format("cannot write {}: {}", (directory / "lockstep.yaml").string(),
                            error.message()));
  }
  std::vector<fs::path> repositories;
  for (fs::directory_iterator it(example, error), end; !error && it != end; it.increment(error)) {
    if (it->is_directory() && it->path().filename().string().starts_with("registry-")) {
      repositories.push_back(it->path());
    }
  }
  std::sort(repositories.begin(), repositories.end());
  for (const fs::path& source : repositories) {
    const fs::path target = directory / source.filename();
    if (Result<void> copied = CopyRepository(source, target); !copied) return copied;
    Result<git::Repository> repository = git::Repository::Init(target, "main");
    if (!repository) return std::unexpected(repository.error());
    Result<std::string> commit = repository->CommitSubtree(
        "", fmt::format("{}: the first version", source.filename().string()));
    if (!commit) return std::unexpected(commit.error());
  }
  return {};
}

Result<DemoCommit> CommitPatch(const fs::path& repository, const fs::path& patch_file) {
  Result<std::string> patch = ReadFile(patch_file);
  if (!patch) return std::unexpected(patch.error());
  size_t blank = patch->find("\n\n");
  size_t diff = patch->find("\ndiff --git ");
  if (blank == std::string::npos || diff == std::string::npos || blank > diff) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: expected a commit message, a blank line, then a git diff",
                            patch_file.string()));
  }
  std::string message = patch->substr(0, diff);
  message.erase(message.find_last_not_of('\n') + 1);
  message += '\n';
  Result<git::Repository> opened = git::Repository::Open(repository);
  if (!opened) return std::unexpected(opened.error());
  if (Result<void> applied = opened->ApplyPatch(*patch); !applied) {
    return Fail(applied.error().code(),
                fmt::format("{}: {}", patch_file.filename().string(), applied.error().message()));
  }
  Result<std::string> commit = opened->CommitSubtree("", message);
  if (!commit) return std::unexpected(commit.error());
  return DemoCommit{.id = *commit, .subject = patch->substr(0, patch->find('\n'))};
}

}  // namespace lockstep::cli
