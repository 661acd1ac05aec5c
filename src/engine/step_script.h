// The shell program that runs an aws/build or aws/managed-test action's `Steps`, with
// CodeCatalyst's semantics: steps run in order in one bash process, so the working directory
// and the environment carry from one step to the next, and plain assignments are exported
// (`set -a`), as in AWS's own runner; the first command that fails (`set -e`) fails its step
// and the action. After the last step the declared output variables are read from the
// shell's environment. Pure apart from the files it writes; thread-safe.
//
// The program is handed to bash as an argument, not written to a file, and announces each
// step on stdout with a marker line that the log turns into "step N/M: …": creating and
// deleting files per action is what costs most on some file systems.
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

// The argv that runs `script`. Output variables are written to `outputs_file` (whose folder
// must exist). A program too long for one argument is written to `program_file` instead.
Result<std::vector<std::string>> StepProgram(const StepScript& script,
                                             const std::filesystem::path& outputs_file,
                                             const std::filesystem::path& program_file);

// The output variables the program left in `outputs_file` when it got past the last step;
// empty when it did not. The file is deleted once read: its values are unmasked.
Result<std::map<std::string, std::string>> ReadStepOutputs(
    const std::filesystem::path& outputs_file);

// The marker line the program prints to stdout before step `n` ("\x1elockstep-step n"),
// and its parser: the step number, or 0 when `line` is not a marker.
std::string StepMarker(int n);
int ParseStepMarker(std::string_view line);

// `text` single-quoted for bash: one word, nothing expanded.
std::string ShellQuote(std::string_view text);

// A step's first line, shortened for a one-line title ("npm ci", "make -j4 test …").
std::string StepTitle(std::string_view run);

}  // namespace lockstep::engine
