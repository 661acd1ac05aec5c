// Loading a workflow file: parse, read into the model, check. The entry point for everything
// that reads workflows (validate, run, triggers). Thread-safe: no shared state.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "base/diagnostic.h"
#include "workflow/model.h"

namespace lockstep::workflow {

struct LoadResult {
  // The model, when the file could be read as a workflow at all. It may still have errors:
  // use it only when `diagnostics.error_count() == 0`.
  std::optional<Workflow> workflow;
  DiagnosticList diagnostics;

  bool ok() const { return workflow.has_value() && diagnostics.error_count() == 0; }
};

// Parses and checks `text`, the contents of `file_name` (used in diagnostics only).
// Diagnostics come sorted by position.
LoadResult LoadWorkflow(std::string_view text, std::string_view file_name);

}  // namespace lockstep::workflow
