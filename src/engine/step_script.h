// The shell program that runs an aws/build or aws/managed-test action's `Steps`, with
// CodeCatalyst's semantics: steps run in order in one bash process, so the working directory
// and the environment carry from one step to the next, and plain assignments are exported
// (`set -a`), as in AWS's own runner; the first command that fails (`set -e`) fails its step
// and the action. After the last step the declared output variables are read from the
// shell's environment. Pure apart from the files it writes; thread-safe.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "exec/process.h"

namespace lockstep::engine {

struct StepScript {
  std::vector<std::string> steps;             // each step's Run text, references resolved
  std::vector<std::string> output_variables;  // shell identifiers, read after the last step
  exec::ResourceLimits limits;                // applied with ulimit before the first step
};

// Writes the program and one file per step into `directory` (created; it must be private to
// the action) and returns the argv that runs it. Step files are sourced, not executed, so a
// step's `cd` and assignments reach the next one.
Result<std::vector<std::string>> WriteStepScript(const StepScript& script,
                                                 const std::filesystem::path& directory);

// What the program left in `directory` when it ended: the number of the step that was
// running (0 before the first), and the output variables that were set, if it got past the
// last step. The outputs file is deleted once read: its values are unmasked.
struct StepOutcome {
  int last_step = 0;
  std::map<std::string, std::string> variables;
};
Result<StepOutcome> ReadStepOutcome(const std::filesystem::path& directory);

// The marker line the program prints to stdout before step `n` ("\x1elockstep-step n"),
// and its parser for log writers: the step number, or 0 when `line` is not a marker.
std::string StepMarker(int n);
int ParseStepMarker(std::string_view line);

// A step's first line, shortened for a one-line title ("npm ci", "make -j4 test …").
std::string StepTitle(std::string_view run);

}  // namespace lockstep::engine
