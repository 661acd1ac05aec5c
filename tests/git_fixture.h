// A real git repository in a temporary directory, built by running the git command line, for
// tests of code that reads repositories. Commits use a fixed author, committer and dates (one
// minute apart), and no user or system configuration is read, so commit ids are the same on
// every machine and every run. A failed git command is a failed test assertion. Not
// thread-safe.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "temp_dir.h"

namespace lockstep::testing {

class GitFixture {
 public:
  // Runs `git init -b main` in a fresh temporary directory.
  GitFixture();

  // The work tree's root.
  const std::filesystem::path& path() const { return dir_.path(); }

  // Writes `content` to `relative` in the work tree, creating parent folders; mode 0644, or
  // 0755 for WriteExecutable.
  void Write(const std::string& relative, const std::string& content) const;
  void WriteExecutable(const std::string& relative, const std::string& content) const;
  // Makes `relative` a symbolic link to `target` (replacing what was there).
  void Symlink(const std::string& relative, const std::string& target) const;
  // Deletes `relative` (a file, link or folder) from the work tree.
  void Remove(const std::string& relative) const;

  // Stages everything (`git add -A`) and commits; returns the new commit's full id.
  std::string Commit(const std::string& message);
  // Commits what is staged already (after Git({"update-index", ...}), say); returns its id.
  std::string CommitStaged(const std::string& message);

  // A lightweight tag, an annotated tag, a branch at `revision`; `git checkout` of a revision.
  void Tag(const std::string& name, const std::string& revision = "HEAD");
  void AnnotatedTag(const std::string& name, const std::string& message,
                    const std::string& revision = "HEAD");
  void Branch(const std::string& name, const std::string& revision = "HEAD");
  void Checkout(const std::string& revision);

  // Runs git with `arguments` in the work tree and returns its standard output with the
  // trailing newline removed; a non-zero exit fails the test.
  std::string Git(const std::vector<std::string>& arguments);

 private:
  std::vector<std::string> Environment() const;

  TempDir dir_;
  int commits_ = 0;  // commits made so far, to step the dates
};

}  // namespace lockstep::testing
