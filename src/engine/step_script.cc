#include "engine/step_script.h"

#include <fmt/core.h>

#include <charconv>
#include <fstream>

#include "base/file.h"

namespace lockstep::engine {
namespace {

constexpr std::string_view kMarkerPrefix = "\x1elockstep-step ";

Result<void> WriteText(const std::filesystem::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) return std::unexpected(ErrnoError(errno, "cannot write " + path.string()));
  return {};
}

// Single-quotes `text` for bash.
std::string Quote(std::string_view text) {
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

}  // namespace

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

Result<std::vector<std::string>> WriteStepScript(const StepScript& script,
                                                 const std::filesystem::path& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error)
    return Fail(ErrorCode::kIoError,
                "cannot create " + directory.string() + ": " + error.message());
  const std::string dir = Quote(directory.string());
  std::string program;
  program += "# Written by lockstep: runs this action's Steps in one shell.\n";
  // Internal names are set before `set -a` so they are not exported to the steps. No EXIT
  // trap: a step may set its own, which would replace ours.
  program += fmt::format("__lockstep_dir={}\n", dir);
  const exec::ResourceLimits& limits = script.limits;
  if (limits.open_files) program += fmt::format("ulimit -n {}\n", *limits.open_files);
  if (limits.file_size_bytes)
    program += fmt::format("ulimit -f {}\n", (*limits.file_size_bytes + 1023) / 1024);
  if (limits.cpu_seconds) program += fmt::format("ulimit -t {}\n", *limits.cpu_seconds);
  if (limits.address_space_bytes)
    program += fmt::format("ulimit -v {}\n", (*limits.address_space_bytes + 1023) / 1024);
  program += "set -ea\n";
  for (size_t i = 0; i < script.steps.size(); ++i) {
    const int n = static_cast<int>(i + 1);
    auto step_file = directory / fmt::format("step-{}.sh", n);
    if (auto written = WriteText(step_file, script.steps[i] + "\n"); !written)
      return std::unexpected(written.error());
    // The step number is on disk before the step runs, so a failure can be attributed.
    program += fmt::format(
        "printf '{}\\n' > \"$__lockstep_dir/step\"\nprintf '%s\\n' {}\n"
        ". \"$__lockstep_dir/step-{}.sh\"\n",
        n, Quote(StepMarker(n)), n);
  }
  // Reached only when every step succeeded (set -e): read the outputs from the environment.
  // No file when there is nothing to read: every file created costs, per action.
  if (!script.output_variables.empty()) program += ": > \"$__lockstep_dir/outputs\"\n";
  for (const std::string& name : script.output_variables) {
    program += fmt::format(
        "if [ -n \"${{{0}+x}}\" ]; then printf '%s=%s\\0' {0} \"${{{0}}}\" >> "
        "\"$__lockstep_dir/outputs\"; fi\n",
        name);
  }
  auto main_file = directory / "run.sh";
  if (auto written = WriteText(main_file, program); !written)
    return std::unexpected(written.error());
  return std::vector<std::string>{"bash", "--noprofile", "--norc", main_file.string()};
}

Result<StepOutcome> ReadStepOutcome(const std::filesystem::path& directory) {
  StepOutcome outcome;
  if (auto step = ReadFile(directory / "step")) {
    std::string_view text = *step;
    while (!text.empty() && (text.back() == '\n')) text.remove_suffix(1);
    std::from_chars(text.data(), text.data() + text.size(), outcome.last_step);
  }
  auto outputs = ReadFile(directory / "outputs");
  std::error_code error;
  std::filesystem::remove(directory / "outputs", error);
  if (!outputs) {
    if (outputs.error().code() == ErrorCode::kNotFound) return outcome;
    return std::unexpected(outputs.error());
  }
  std::string_view rest = *outputs;
  while (!rest.empty()) {
    size_t end = rest.find('\0');
    std::string_view entry = rest.substr(0, end);
    size_t equals = entry.find('=');
    if (equals != std::string_view::npos) {
      outcome.variables[std::string(entry.substr(0, equals))] =
          std::string(entry.substr(equals + 1));
    }
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return outcome;
}

}  // namespace lockstep::engine
