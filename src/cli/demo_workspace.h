// The demo's workspace: the registry example (examples/registry) copied into a folder of its
// own — lockstep.yaml and the three repositories, each made a git repository with one commit —
// and the demo's later commits, patches from the example's acts/ folder. Thread-compatible.
#pragma once

#include <filesystem>
#include <string>

#include "base/error.h"

namespace lockstep::cli {

// The registry example: beside an installed binary (PREFIX/share/lockstep/examples/registry),
// else in the source tree lockstep was built from. kNotFound naming both places otherwise.
Result<std::filesystem::path> FindRegistryExample(const std::filesystem::path& executable);

// A folder under `parent` that does not exist yet: lockstep-demo, lockstep-demo-2, …
std::filesystem::path NewDemoDirectory(const std::filesystem::path& parent);

// Copies lockstep.yaml and every registry-* repository of `example` into `directory` (made
// when missing; refused with kAlreadyExists when it holds anything) and makes each repository
// a git repository on `main` with one commit. Build outputs of the example (build/, out/,
// bin/, reports/) and .git folders are not copied.
Result<void> LayOutDemoWorkspace(const std::filesystem::path& example,
                                 const std::filesystem::path& directory);

struct DemoCommit {
  std::string id;       // full commit id
  std::string subject;  // the patch's first line
};

// Applies the patch `patch_file` (its first paragraph is the commit message, then a `git diff`)
// to the work tree of `repository` and commits it on its branch.
Result<DemoCommit> CommitPatch(const std::filesystem::path& repository,
                               const std::filesystem::path& patch_file);

}  // namespace lockstep::cli
