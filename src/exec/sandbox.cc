#include "exec/sandbox.h"

#include <fmt/core.h>

#include <algorithm>
#include <cstdlib>

#include "exec/program_path.h"

namespace lockstep::exec {
namespace {

constexpr std::string_view kMissing =
    "the sandbox needs bubblewrap (bwrap), which is not installed; install it with: "
    "apt-get install bubblewrap";

// Whether `path` is `directory` or lies below it (both absolute and normal).
bool IsWithin(const std::filesystem::path& path, const std::filesystem::path& directory) {
  auto [end, unused] = std::mismatch(directory.begin(), directory.end(), path.begin(), path.end());
  return end == directory.end();
}

std::filesystem::path Normal(const std::filesystem::path& path) {
  std::filesystem::path normal = std::filesystem::absolute(path).lexically_normal();
  // "/a/b/" normalises to "/a/b/" with an empty last element; bwrap wants "/a/b".
  if (!normal.has_filename() && normal != normal.root_path()) normal = normal.parent_path();
  return normal;
}

}  // namespace

Result<std::filesystem::path> FindBubblewrap() {
  if (const char* configured = std::getenv("LOCKSTEP_BWRAP"); configured && *configured) {
    if (IsExecutableFile(configured)) return std::filesystem::path(configured);
    return Fail(ErrorCode::kUnavailable, std::string(kMissing));
  }
  const char* path = std::getenv("PATH");
  std::optional<std::filesystem::path> found =
      FindInPath("bwrap", path ? path : "/usr/local/bin:/usr/bin:/bin", "/");
  if (!found) return Fail(ErrorCode::kUnavailable, std::string(kMissing));
  return *found;
}

Result<std::vector<std::string>> SandboxCommand(const std::filesystem::path& bwrap,
                                                const SandboxSpec& sandbox,
                                                const std::filesystem::path& working_directory,
                                                const std::vector<std::string>& command) {
  std::vector<std::filesystem::path> writable;
  for (const std::filesystem::path& path : sandbox.writable) {
    std::error_code error;
    if (!std::filesystem::exists(path, error)) {
      return Fail(ErrorCode::kNotFound,
                  fmt::format("sandbox writable path '{}' does not exist", path.string()));
    }
    writable.push_back(Normal(path));
  }
  // Parents before children: a later bind would hide an earlier one below it.
  std::sort(writable.begin(), writable.end());
  writable.erase(std::unique(writable.begin(), writable.end()), writable.end());

  std::vector<std::string> argv = {bwrap.string(), "--die-with-parent", "--unshare-all"};
  if (sandbox.network) argv.push_back("--share-net");
  for (const char* arg :
       {"--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--tmpfs", "/tmp"}) {
    argv.push_back(arg);
  }
  std::filesystem::path directory = Normal(working_directory);
  // A working directory under /tmp would vanish under the private /tmp; bind it (read-only)
  // unless a writable bind already brings it.
  bool covered = std::any_of(writable.begin(), writable.end(),
                             [&](const auto& path) { return IsWithin(directory, path); });
  if (!covered && IsWithin(directory, "/tmp"))
    argv.insert(argv.end(), {"--ro-bind", directory.string(), directory.string()});
  for (const std::filesystem::path& path : writable) {
    argv.insert(argv.end(), {"--bind", path.string(), path.string()});
  }
  argv.insert(argv.end(), {"--chdir", directory.string(), "--"});
  argv.insert(argv.end(), command.begin(), command.end());
  return argv;
}

}  // namespace lockstep::exec
