// An action attempt's private folder: its own copy of the sources (hard links from the run's
// snapshot), copies of its input artifacts, its restored caches, and a folder for the step
// program and temporary files. Thread-compatible.
//
//   WORKSPACE/                     the default folder when there are no sources or artifacts
//   WORKSPACE/WorkflowSource/      Inputs.Sources: [WorkflowSource]
//   WORKSPACE/artifacts/NAME/      Inputs.Artifacts
//   WORKSPACE/.tmp/                TMPDIR, and the step program's outputs file
//
// As few folders as possible: on some file systems each one created and deleted costs
// more than the rest of a trivial action.
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "base/error.h"
#include "engine/action_log.h"
#include "engine/file_cache.h"
#include "engine/source_snapshot.h"
#include "workflow/model.h"

namespace lockstep::engine {

struct ActionWorkspace {
  std::filesystem::path root;
  std::filesystem::path default_dir;  // CATALYST_DEFAULT_DIR: sources, else the first artifact
  std::filesystem::path temp_dir;
};

// Fills `root`: reuses it as it is when it holds nothing but an empty .tmp folder and maybe a
// source copy (a slot that RecycleActionWorkspace emptied; the copy is refreshed, or removed
// when this action has no sources), else creates it afresh, removing what was there. `snapshot`
// is required when the action lists WorkflowSource; `artifacts` maps the run's stored artifacts to
// their folders. Cache restores are noted in `log`.
Result<ActionWorkspace> PrepareActionWorkspace(
    const workflow::Action& action, const std::filesystem::path& root,
    const SourceSnapshot* snapshot, const std::map<std::string, std::filesystem::path>& artifacts,
    FileCache& cache, ActionLog& log);

// Empties a workspace so the next action can use it without creating folders again (on some
// file systems creating and deleting folders is the largest cost of a small action): removes
// everything but .tmp and the source copy, and everything in .tmp. False when something could
// not be removed;
// the caller should then remove the whole folder.
bool RecycleActionWorkspace(const std::filesystem::path& root);

}  // namespace lockstep::engine
