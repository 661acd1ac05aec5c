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

// Points the mirror's HEAD at the branch the source's HEAD names, as `git clone --mirror`
// does: libgit2's clone cannot tell that branch over a local transport and falls back to
// "master", and a fetch never moves HEAD. A source with a detached HEAD leaves it as it is.
Result<void> FollowSourceHead(const std::filesystem::path& source,
                              const std::filesystem::path& mirror) {
  git_repository* raw_source = nullptr;
  if (int rc = git_repository_open_ext(&raw_source, source.c_str(), 0, nullptr); rc < 0) {
    return std::unexpected(GitError(rc, fmt::format("cannot open '{}'", source.string())));
  }
  GitPtr<git_repository> source_repository(raw_source);
  git_reference* raw_head = nullptr;
  if (git_reference_lookup(&raw_head, source_repository.get(), "HEAD") < 0) return {};
  GitPtr<git_reference> head(raw_head);
  if (git_reference_type(head.get()) != GIT_REFERENCE_SYMBOLIC) return {};
  std::string branch = git_reference_symbolic_target(head.get());

  git_repository* raw_mirror = nullptr;
  if (int rc = git_repository_open_bare(&raw_mirror, mirror.c_str()); rc < 0) {
    return std::unexpected(
        GitError(rc, fmt::format("cannot open the mirror '{}'", mirror.string())));
  }
  GitPtr<git_repository> mirror_repository(raw_mirror);
  auto points_there = [&] {
    git_reference* raw_current = nullptr;
    if (git_reference_lookup(&raw_current, mirror_repository.get(), "HEAD") < 0) return false;
    GitPtr<git_reference> current(raw_current);
    return git_reference_type(current.get()) == GIT_REFERENCE_SYMBOLIC &&
           branch == git_reference_symbolic_target(current.get());
  };
  if (points_there()) return {};  // nothing to write, and no lock to race for
  // A failure because another process mirroring the same source holds the lock is fine when
  // that process wrote the same thing.
  if (int rc = git_repository_set_head(mirror_repository.get(), branch.c_str());
      rc < 0 && !points_there()) {
    return std::unexpected(GitError(
        rc,
        fmt::format("cannot point the HEAD of the mirror '{}' at {}", mirror.string(), branch)));
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
  if (Result<void> head = FollowSourceHead(*source, mirror); !head) {
    return std::unexpected(head.error());
  }
  return mirror;
}

}  // namespace lockstep::git
