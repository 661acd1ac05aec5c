// An action attempt's private folder: its own copy of the sources (hard links from the run's
// snapshot), copies of its input artifacts, its restored caches, and a folder for the step
// program and temporary files. Thread-compatible.
//
//   WORKSPACE/WorkflowSource/      Inputs.Sources: [WorkflowSource]
//   WORKSPACE/artifacts/NAME/      Inputs.Artifacts
//   WORKSPACE/work/                the default folder when there is neither
//   WORKSPACE/.lockstep/           run.sh, step-N.sh, outputs; TMPDIR
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
  std::filesystem::path script_dir;
};

// Creates `root` afresh (removing what an earlier attempt left) and fills it. `snapshot` is
// required when the action lists WorkflowSource; `artifacts` maps the run's stored artifacts
// to their folders. Cache restores are noted in `log`.
Result<ActionWorkspace> PrepareActionWorkspace(
    const workflow::Action& action, const std::filesystem::path& root,
    const SourceSnapshot* snapshot, const std::map<std::string, std::filesystem::path>& artifacts,
    FileCache& cache, ActionLog& log);

}  // namespace lockstep::engine
