#include "engine/step_script.h"

#include <fmt/core.h>

#include <charconv>
#include <fstream>

#include "base/file.h"

namespace lockstep::engine {
namespace {

constexpr std::string_view kMarkerPrefix = "\x1elockstep-step ";
// Linux refuses a single argument longer than 128 KiB (MAX_ARG_STRLEN); stay well below.
constexpr size_t kMaxInlineProgram = 96 * 1024;

}  // namespace

std::string ShellQuote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::string StepMarker(int n) { return fmt::format("{}{}", kMarkerPrefix, n); }

int ParseStepMarker(std::string_view line) {
  if (!line.starts_with(kMarkerPrefix)) return 0;
  line.remove_prefix(kMarkerPrefix.size());
  int n = 0;
  auto [end, error] = std::from_chars(line.data(), line.data() + line.size(), n);
  return error == std::errc() && end == line.data() + line.size() ? n : 0;
}

std::string StepTitle(std::string_view run) {
  size_t start = run.find_first_not_of(" \t\n");
  if (start == std::string_view::npos) return {};
  run.remove_prefix(start);
  std::string_view first = run.substr(0, run.find('\n'));
  bool more = first.size() < run.size() &&
              run.find_first_not_of(" \t\n", first.size()) != std::string_view::npos;
  constexpr size_t kWidth = 60;
  if (first.size() > kWidth) {
    size_t cut = kWidth - 2;
    // Never cut inside a UTF-8 sequence: back up over continuation bytes.
    while (cut > 0 && (static_cast<unsigned char>(first[cut]) & 0xC0) == 0x80) --cut;
    return std::string(first.substr(0, cut)) + " …";
  }
  return std::string(first) + (more ? " …" : "");
}

Result<std::vector<std::string>> StepProgram(const StepScript& script,
                                             const std::filesystem::path& outputs_file,
                                             const std::filesystem::path& program_file) {
  std::string program = "# Written by lockstep: runs this action's Steps in one shell.\n";
  // The step texts are held in variables set before `set -a`, so they are not exported, and
  // run with eval, which, like sourcing a file, runs them in this shell: `cd` and assignments
  // carry to the next step. No EXIT trap: a step may set its own, which would replace ours.
  for (size_t i = 0; i < script.steps.size(); ++i)
    program += fmt::format("__lockstep_step_{}={}\n", i + 1, ShellQuote(script.steps[i]));
  const exec::ResourceLimits& limits = script.limits;
  if (limits.open_files) program += fmt::format("ulimit -n {}\n", *limits.open_files);
  if (limits.file_size_bytes)
    program += fmt::format("ulimit -f {}\n", (*limits.file_size_bytes + 1023) / 1024);
  if (limits.cpu_seconds) program += fmt::format("ulimit -t {}\n", *limits.cpu_seconds);
  if (limits.address_space_bytes)
    program += fmt::format("ulimit -v {}\n", (*limits.address_space_bytes + 1023) / 1024);
  program += "set -ea\n";
  for (size_t i = 0; i < script.steps.size(); ++i) {
    program += fmt::format("printf '%s\\n' {} || :\neval \"$__lockstep_step_{}\"\n",
                           ShellQuote(StepMarker(static_cast<int>(i + 1))), i + 1);
  }
  // Reached only when every step succeeded (set -e): read the outputs from the environment.
  if (!script.output_variables.empty()) {
    const std::string outputs = ShellQuote(outputs_file.string());
    program += fmt::format(": > {}\n", outputs);
    for (const std::string& name : script.output_variables) {
      program += fmt::format(
          "if [ -n \"${{{0}+x}}\" ]; then printf '%s=%s\\0' {0} \"${{{0}}}\" >> {1}; fi\n", name,
          outputs);
    }
  }
  if (program.size() <= kMaxInlineProgram) {
    return std::vector<std::string>{"bash", "--noprofile", "--norc",
                                    "-c",   program,       "lockstep-steps"};
  }
  std::ofstream out(program_file, std::ios::binary | std::ios::trunc);
  out << program;
  out.close();
  if (!out) return std::unexpected(ErrnoError(errno, "cannot write " + program_file.string()));
  return std::vector<std::string>{"bash", "--noprofile", "--norc", program_file.string()};
}

Result<std::map<std::string, std::string>> ReadStepOutputs(
    const std::filesystem::path& outputs_file) {
  std::map<std::string, std::string> variables;
  auto outputs = ReadFile(outputs_file);
  std::error_code error;
  std::filesystem::remove(outputs_file, error);
  if (!outputs) {
    if (outputs.error().code() == ErrorCode::kNotFound) return variables;
    return std::unexpected(outputs.error());
  }
  std::string_view rest = *outputs;
  while (!rest.empty()) {
    size_t end = rest.find('\0');
    std::string_view entry = rest.substr(0, end);
    size_t equals = entry.find('=');
    if (equals != std::string_view::npos) {
      variables[std::string(entry.substr(0, equals))] = std::string(entry.substr(equals + 1));
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return variables;
}

}  // namespace lockstep::engine
