// How `lockstep run` shows a run as it happens. On a terminal: a status line redrawn in place
// ("[7/12] running: Build, UnitTests") with one line above it per finished action, in the
// spirit of ninja and cargo. Off a terminal: one timestamped line per state change. Then a
// summary table. Observes the engine; never drives it. Not thread-safe.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "engine/run_request.h"

namespace lockstep::cli {

class RunProgress : public engine::RunObserver {
 public:
  // Writes to `out`; `board` selects the in-place status line, `color` ANSI colours.
  RunProgress(std::FILE* out, bool board, bool color) : out_(out), board_(board), color_(color) {}

  void OnRunCreated(const engine::RunSummary& run) override;
  void OnNotice(std::string_view message) override;
  void OnActionChanged(const engine::ActionView& action, size_t finished, size_t total) override;
  void OnRunFinished(const engine::RunSummary& run) override;

 private:
  void ClearStatus();
  void DrawStatus();
  std::string Paint(std::string_view text, std::string_view code) const;

  std::FILE* out_;
  bool board_;
  bool color_;
  std::vector<std::string> running_;  // in start order
  size_t finished_ = 0;
  size_t total_ = 0;
  bool status_shown_ = false;
};

// The summary table and the log tails of failed actions, as printed at the end of a run.
std::string FormatRunSummary(const engine::RunSummary& run, bool color);

// "1.2s", "340ms", "2m05s".
std::string FormatDuration(std::chrono::milliseconds duration);

}  // namespace lockstep::cli
