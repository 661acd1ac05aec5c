// The workflow reader: turns a YAML tree into the Workflow model, checking the shape of every
// part against the CodeCatalyst format (keys, kinds, names, limits) and reporting through a
// Checker. Semantic checks that need the whole workflow (dependencies, artifacts, variables)
// live in graph_check.h. Not thread-safe.
#pragma once

#include <optional>

#include "workflow/checker.h"
#include "workflow/model.h"

namespace lockstep::workflow {

// Reads `root`. Returns nullopt when the file is not a workflow at all (not a mapping, or a
// GitHub Actions file); otherwise a model of everything that could be read, with problems
// reported to `checker`.
std::optional<Workflow> ReadWorkflow(const yaml::Node& root, Checker& checker);

}  // namespace lockstep::workflow
