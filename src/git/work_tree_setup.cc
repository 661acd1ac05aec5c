// Repository's ways to make and change a work tree: a new repository (`git init -b`), and a
// patch applied to the work tree (`git apply`). Used by `lockstep demo` to lay out its
// repositories and to make its commits.
#include <fmt/core.h>

#include <filesystem>
#include <string>

#include "git/git_handle.h"
#include "git/repository.h"
#include "git/repository_impl.h"

namespace lockstep::git {

Result<Repository> Repository::Init(const std::filesystem::path& path, std::string_view branch) {
  EnsureLibgit2();
  std::error_code error;
  if (std::filesystem::exists(path / ".git", error)) {
    return Fail(ErrorCode::kAlreadyExists,
                fmt::format("'{}' is a git repository already", path.string()));
  }
  std::string head = fmt::format("refs/heads/{}", branch);
  git_repository_init_options options = GIT_REPOSITORY_INIT_OPTIONS_INIT;
  options.flags = GIT_REPOSITORY_INIT_MKPATH | GIT_REPOSITORY_INIT_NO_REINIT;
  options.initial_head = head.c_str();
  git_repository* raw = nullptr;
  if (int rc = git_repository_init_ext(&raw, path.c_str(), &options); rc < 0) {
    return std::unexpected(
        GitError(rc, fmt::format("cannot make a git repository at '{}'", path.string())));
  }
  auto impl = std::make_unique<Impl>();
  impl->repository.reset(raw);
  return Repository(std::move(impl));
}

Result<void> Repository::ApplyPatch(std::string_view patch) const {
  size_t start = patch.starts_with("diff --git ") ? 0 : patch.find("\ndiff --git ");
  if (start == std::string_view::npos) {
    return Fail(ErrorCode::kInvalidArgument, "the patch has no 'diff --git' section");
  }
  if (start != 0) ++start;  // past the newline
  std::string diff_text(patch.substr(start));
  if (diff_text.back() != '\n') diff_text += '\n';  // libgit2 needs every line ended
  git_diff* raw_diff = nullptr;
  if (int rc = git_diff_from_buffer(&raw_diff, diff_text.data(), diff_text.size()); rc < 0) {
    return std::unexpected(GitError(rc, "cannot read the patch"));
  }
  GitPtr<git_diff> diff(raw_diff);
  git_apply_options options = GIT_APPLY_OPTIONS_INIT;
  // Checked in full before the first file is written, so a patch that does not match leaves
  // the work tree as it was.
  if (int rc = git_apply(impl_->repository.get(), diff.get(), GIT_APPLY_LOCATION_WORKDIR, &options);
      rc < 0) {
    return std::unexpected(GitError(rc, "the patch does not apply"));
  }
  return {};
}

}  // namespace lockstep::git
