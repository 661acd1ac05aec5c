#include "git_fixture.h"

#include <fmt/core.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <string_view>

#include "run_binary.h"

namespace lockstep::testing {
namespace {

// The git executable, found once on PATH (RunProgram wants an absolute path).
const std::string& GitBinary() {
  static const std::string binary = [] {
    const char* path = std::getenv("PATH");
    std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
    while (!dirs.empty()) {
      size_t colon = dirs.find(':');
      std::filesystem::path candidate = std::filesystem::path(dirs.substr(0, colon)) / "git";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
      if (colon == std::string_view::npos) break;
      dirs.remove_prefix(colon + 1);
    }
    return std::string("/usr/bin/git");
  }();
  return binary;
}

}  // namespace

GitFixture::GitFixture() { Git({"init", "-q", "-b", "main"}); }

void GitFixture::Write(const std::string& relative, const std::string& content) const {
  dir_.Write(relative, content);
  std::filesystem::permissions(path() / relative, std::filesystem::perms(0644));
}

void GitFixture::WriteExecutable(const std::string& relative, const std::string& content) const {
  dir_.Write(relative, content);
  std::filesystem::permissions(path() / relative, std::filesystem::perms(0755));
}

void GitFixture::Symlink(const std::string& relative, const std::string& target) const {
  std::filesystem::path link = path() / relative;
  std::filesystem::create_directories(link.parent_path());
  std::filesystem::remove(link);
  std::filesystem::create_symlink(target, link);
}

void GitFixture::Remove(const std::string& relative) const {
  std::filesystem::remove_all(path() / relative);
}

std::string GitFixture::Commit(const std::string& message) {
  Git({"add", "-A"});
  return CommitStaged(message);
}

std::string GitFixture::CommitStaged(const std::string& message) {
  Git({"commit", "-q", "--allow-empty", "-m", message});
  ++commits_;
  return Git({"rev-parse", "HEAD"});
}

void GitFixture::Tag(const std::string& name, const std::string& revision) {
  Git({"tag", name, revision});
}

void GitFixture::AnnotatedTag(const std::string& name, const std::string& message,
                              const std::string& revision) {
  Git({"tag", "-a", "-m", message, name, revision});
}

void GitFixture::Branch(const std::string& name, const std::string& revision) {
  Git({"branch", name, revision});
}

void GitFixture::Checkout(const std::string& revision) { Git({"checkout", "-q", revision}); }

std::string GitFixture::Git(const std::vector<std::string>& arguments) {
  std::vector<std::string> argv = {GitBinary()};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  CommandOutput result = RunProgram(argv, path(), Environment());
  if (result.exit_code != 0) {
    std::string command = "git";
    for (const std::string& argument : arguments) command += " " + argument;
    ADD_FAILURE() << command << " failed (exit " << result.exit_code << "):\n" << result.err;
  }
  std::string out = std::move(result.out);
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::vector<std::string> GitFixture::Environment() const {
  // 2024-01-01 00:00 UTC plus a minute per earlier commit.
  std::string date = fmt::format("@{} +0000", 1704067200 + 60 * commits_);
  return {
      "GIT_CONFIG_NOSYSTEM=1",
      "GIT_CONFIG_GLOBAL=/dev/null",
      "GIT_AUTHOR_NAME=Lockstep Test",
      "GIT_AUTHOR_EMAIL=test@lockstep.invalid",
      "GIT_AUTHOR_DATE=" + date,
      "GIT_COMMITTER_NAME=Lockstep Test",
      "GIT_COMMITTER_EMAIL=test@lockstep.invalid",
      "GIT_COMMITTER_DATE=" + date,
  };
}

}  // namespace lockstep::testing
