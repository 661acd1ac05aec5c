#include "git/mirror.h"

#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "base/sha256.h"
#include "git/git_handle.h"

namespace lockstep::git {
namespace {

struct RemoteDeleter {
  void operator()(git_remote* p) const { git_remote_free(p); }
};
using RemotePtr = std::unique_ptr<git_remote, RemoteDeleter>;

constexpr char kMirrorRefspec[] = "+refs/*:refs/*";

// The local path `url` names, or kInvalidArgument for anything that is not local.
Result<std::filesystem::path> LocalSource(std::string_view url) {
  constexpr std::string_view kFileScheme = "file://";
  if (url.starts_with(kFileScheme)) {
    std::string_view path = url.substr(kFileScheme.size());
    // file:///abs/path has an empty host; file://localhost/abs/path names this machine.
    if (path.starts_with("localhost/")) path.remove_prefix(std::string_view("localhost").size());
    if (path.starts_with("/")) return std::filesystem::path(path);
  } else if (!url.empty() && url.find("://") == std::string_view::npos) {
    // git reads "host:path" as ssh when the colon comes before any slash.
    size_t colon = url.find(':');
    size_t slash = url.find('/');
    if (colon == std::string_view::npos || (slash != std::string_view::npos && slash < colon)) {
      std::error_code error;  // the throwing overload would let an exception out of git/
      std::filesystem::path absolute = std::filesystem::absolute(std::filesystem::path(url), error);
      if (error) return std::unexpected(ErrnoError(error.value(), std::string(url)));
      return absolute.lexically_normal();
    }
  }
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("cannot mirror '{}': only local repositories (path or file://) are "
                          "supported",
                          url));
}

std::string MirrorName(const std::filesystem::path& source) {
  std::filesystem::path normal = source.lexically_normal();
  std::string name = normal.filename().string();
  if (name.empty()) name = normal.parent_path().filename().string();
  if (name.ends_with(".git")) name.resize(name.size() - 4);
  for (char& c : name) {
    bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                c == '.' || c == '_' || c == '-';
    if (!keep) c = '_';
  }
  if (name.empty() || name.front() == '.') name.insert(0, "repo");
  std::string key = normal.string();
  while (key.size() > 1 && key.back() == '/') key.pop_back();
  return fmt::format("{}-{}.git", name, Sha256Hex(key).substr(0, 12));
}

int CreateMirrorRemote(git_remote** out, git_repository* repository, const char* name,
                       const char* url, void* /*payload*/) {
  // url.*.insteadOf is skipped: it cannot apply to a local path, and libgit2 1.5 leaks the
  // regex match data of the configuration lookup it would do.
  git_remote_create_options create = GIT_REMOTE_CREATE_OPTIONS_INIT;
  create.repository = repository;
  create.name = name;
  create.fetchspec = kMirrorRefspec;
  create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF;
  int rc = git_remote_create_with_opts(out, url, &create);
  if (rc < 0) return rc;
  // What `git clone --mirror` records, so the git command line treats it the same way.
  git_config* config = nullptr;
  if (git_repository_config(&config, repository) == 0) {
    git_config_set_bool(config, "remote.origin.mirror", 1);
    git_config_free(config);
  }
  return 0;
}

Result<void> Clone(const std::string& url, const std::filesystem::path& mirror) {
  std::filesystem::path staging = mirror;
  staging += fmt::format(".tmp-{}", ::getpid());
  std::error_code ignored;
  std::filesystem::remove_all(staging, ignored);  // left by an earlier crash
  git_clone_options options = GIT_CLONE_OPTIONS_INIT;
  options.bare = 1;
  options.remote_cb = CreateMirrorRemote;
  options.fetch_opts.update_fetchhead = 0;
  git_repository* raw = nullptr;
  int rc = git_clone(&raw, url.c_str(), staging.c_str(), &options);
  if (rc < 0) {
    Error error = GitError(rc, fmt::format("cannot mirror '{}'", url));
    std::filesystem::remove_all(staging, ignored);
    return std::unexpected(error);
  }
  // git_clone also points refs/remotes/origin/HEAD at the default branch; a mirror has no
  // remote-tracking refs (with +refs/*:refs/* the next fetch would prune it anyway).
  rc = git_reference_remove(raw, "refs/remotes/origin/HEAD");
  git_repository_free(raw);
  if (rc < 0 && rc != GIT_ENOTFOUND) {
    Error error = GitError(rc, fmt::format("cannot set up the mirror of '{}'", url));
    std::filesystem::remove_all(staging, ignored);
    return std::unexpected(error);
  }
  if (std::rename(staging.c_str(), mirror.c_str()) != 0) {
    int saved = errno;
    std::filesystem::remove_all(staging, ignored);
    // Another process made the same mirror first: theirs is as good as ours.
    if ((saved == ENOTEMPTY || saved == EEXIST) && std::filesystem::is_directory(mirror, ignored))
      return {};
    return std::unexpected(ErrnoError(saved, mirror.string()));
  }
  return {};
}

Result<void> Update(const std::string& url, const std::filesystem::path& mirror) {
  git_repository* raw = nullptr;
  if (int rc = git_repository_open_bare(&raw, mirror.c_str()); rc < 0) {
    return std::unexpected(
        GitError(rc, fmt::format("cannot open the mirror '{}'", mirror.string())));
  }
  GitPtr<git_repository> repository(raw);
  // An anonymous remote with the mirror refspec: fetches the source as given now, even if
  // the stored remote was changed by hand.
  // No insteadOf, as in CreateMirrorRemote.
  git_remote_create_options create = GIT_REMOTE_CREATE_OPTIONS_INIT;
  create.repository = repository.get();
  create.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
  git_remote* raw_remote = nullptr;
  if (int rc = git_remote_create_with_opts(&raw_remote, url.c_str(), &create); rc < 0) {
    return std::unexpected(GitError(rc, fmt::format("cannot fetch '{}'", url)));
  }
  RemotePtr remote(raw_remote);
  git_fetch_options options = GIT_FETCH_OPTIONS_INIT;
  options.prune = GIT_FETCH_PRUNE;
  options.update_fetchhead = 0;
  std::string refspec = kMirrorRefspec;
  char* refspecs[] = {refspec.data()};
  git_strarray specs = {refspecs, 1};
  if (int rc = git_remote_fetch(remote.get(), &specs, &options, nullptr); rc < 0) {
    return std::unexpected(
        GitError(rc, fmt::format("cannot fetch '{}' into '{}'", url, mirror.string())));
  }
  return {};
}

}  // namespace

Result<std::filesystem::path> MirrorRepository(std::string_view url,
                                               const std::filesystem::path& mirrors_dir) {
  EnsureLibgit2();
  Result<std::filesystem::path> source = LocalSource(url);
  if (!source) return std::unexpected(source.error());
  std::error_code error;
  if (!std::filesystem::exists(*source, error)) {
    return Fail(ErrorCode::kNotFound,
                fmt::format("cannot mirror '{}': '{}' does not exist", url, source->string()));
  }
  if (!std::filesystem::create_directories(mirrors_dir, error) && error) {
    return std::unexpected(ErrnoError(error.value(), mirrors_dir.string()));
  }
  std::filesystem::path mirror = mirrors_dir / MirrorName(*source);
  std::string source_url = source->string();
  Result<void> done = std::filesystem::exists(mirror, error) ? Update(source_url, mirror)
                                                             : Clone(source_url, mirror);
  if (!done) return std::unexpected(done.error());
  return mirror;
}

}  // namespace lockstep::git
