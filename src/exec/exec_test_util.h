// Helpers shared by the exec tests (test binary only): a sink that records lines, and
// waiting for one process with a deadline.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "exec/environment.h"
#include "exec/process.h"
#include "exec/subprocess_set.h"

namespace lockstep::exec::testing {

class RecordingSink : public OutputSink {
 public:
  void OnLine(const OutputLine& line) override {
    lines.push_back(line);
    if (on_line) on_line(line);
  }

  // Each line as "out: text", "err: text" or "note: text".
  std::vector<std::string> Texts() const {
    std::vector<std::string> texts;
    for (const OutputLine& line : lines) {
      const char* prefix = line.stream == Stream::kStdout   ? "out: "
                           : line.stream == Stream::kStderr ? "err: "
                                                            : "note: ";
      texts.push_back(prefix + line.text);
    }
    return texts;
  }

  std::vector<OutputLine> lines;
  std::function<void(const OutputLine&)> on_line;  // called after recording each line
};

// Waits until process `id` finishes; fails the test after `limit`.
inline std::optional<ProcessResult> WaitFor(SubprocessSet& set, ProcessId id,
                                            std::chrono::seconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    std::optional<ProcessFinished> finished = set.WaitForEvent(deadline);
    if (finished && finished->id == id) return finished->result;
  }
  ADD_FAILURE() << "process " << id << " did not finish within " << limit.count() << "s";
  return std::nullopt;
}

// `sh -c script` in `directory` with the clean environment.
inline ProcessSpec ShellSpec(const std::string& script, const std::filesystem::path& directory) {
  ProcessSpec spec;
  spec.argv = {"sh", "-c", script};
  spec.environment = CleanEnvironment({});
  spec.working_directory = directory;
  return spec;
}

// Polls `condition` until it holds or `limit` passes (for state no event announces, such as
// a process that is not our child dying).
inline bool Eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!condition()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace lockstep::exec::testing
