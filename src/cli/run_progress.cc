#include "cli/run_progress.h"

#include <fmt/core.h>

#include <algorithm>
#include <ctime>

namespace lockstep::cli {
namespace {

using store::ActionState;

std::string Clock() {
  std::time_t now = std::time(nullptr);
  std::tm local{};
  localtime_r(&now, &local);
  return fmt::format("{:02}:{:02}:{:02}", local.tm_hour, local.tm_min, local.tm_sec);
}

std::string_view Mark(ActionState state) {
  switch (state) {
    case ActionState::kSucceeded:
      return "✓";
    case ActionState::kFailed:
      return "✗";
    case ActionState::kSkipped:
      return "-";
    case ActionState::kCancelled:
    case ActionState::kInterrupted:
      return "!";
    default:
      return " ";
  }
}

std::string_view Colour(ActionState state) {
  switch (state) {
    case ActionState::kSucceeded:
      return "32";
    case ActionState::kFailed:
    case ActionState::kInterrupted:
      return "31";
    case ActionState::kCancelled:
      return "33";
    default:
      return "2";
  }
}

std::string Tests(const std::optional<store::TestCounts>& tests) {
  if (!tests) return {};
  return fmt::format("{} passed, {} failed, {} skipped", tests->passed, tests->failed,
                     tests->skipped);
}

}  // namespace

std::string FormatDuration(std::chrono::milliseconds duration) {
  auto ms = duration.count();
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms < 60'000) return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
  return fmt::format("{}m{:02}s", ms / 60'000, (ms / 1000) % 60);
}

std::string RunProgress::Paint(std::string_view text, std::string_view code) const {
  if (!color_) return std::string(text);
  return fmt::format("\x1b[{}m{}\x1b[0m", code, text);
}

void RunProgress::ClearStatus() {
  if (board_ && status_shown_) {
    fmt::print(out_, "\r\x1b[K");
    status_shown_ = false;
  }
}

void RunProgress::DrawStatus() {
  if (!board_ || running_.empty()) return;
  std::string names;
  for (const std::string& name : running_) names += (names.empty() ? "" : ", ") + name;
  std::string line = fmt::format("[{}/{}] running: {}", finished_, total_, names);
  constexpr size_t kWidth = 100;
  if (line.size() > kWidth) line = line.substr(0, kWidth - 3) + "...";
  fmt::print(out_, "{}", line);
  std::fflush(out_);
  status_shown_ = true;
}

void RunProgress::OnRunCreated(const engine::RunSummary& run) {
  total_ = run.actions.size();
  fmt::print(out_, "run {} of '{}' at {}{}\n", run.id, run.workflow, run.commit.substr(0, 12),
             run.branch.empty() ? "" : " (" + run.branch + ")");
  std::fflush(out_);
}

void RunProgress::OnNotice(std::string_view message) {
  ClearStatus();
  fmt::print(out_, "{}\n", message);
  DrawStatus();
  std::fflush(out_);
}

void RunProgress::OnActionChanged(const engine::ActionView& action, size_t finished, size_t total) {
  finished_ = finished;
  total_ = total;
  ClearStatus();
  if (action.state == ActionState::kRunning) {
    running_.push_back(action.name);
    if (!board_) fmt::print(out_, "{} {} running\n", Clock(), action.name);
  } else if (store::IsFinal(action.state)) {
    std::erase(running_, action.name);
    std::string detail;
    if (action.duration && action.state != ActionState::kSkipped &&
        action.state != ActionState::kCancelled)
      detail += fmt::format(" {}", FormatDuration(*action.duration));
    if (action.tests) detail += fmt::format("  {}", Tests(action.tests));
    if (!action.reason.empty()) detail += fmt::format("  {}", action.reason);
    if (board_) {
      fmt::print(out_, "{} {}{}\n", Paint(Mark(action.state), Colour(action.state)), action.name,
                 detail);
    } else {
      fmt::print(out_, "{} {} {}{}\n", Clock(), action.name, store::ToString(action.state), detail);
    }
  }
  DrawStatus();
  std::fflush(out_);
}

void RunProgress::OnRunFinished(const engine::RunSummary& run) {
  ClearStatus();
  fmt::print(out_, "{}", FormatRunSummary(run, color_));
  std::fflush(out_);
}

std::string FormatRunSummary(const engine::RunSummary& run, bool color) {
  size_t name_width = 6;
  for (const auto& action : run.actions) name_width = std::max(name_width, action.name.size());
  std::string out = fmt::format("\n{:<{}}  {:<11}  {:>8}  {}\n", "ACTION", name_width, "STATE",
                                "TIME", "TESTS / REASON");
  for (const auto& action : run.actions) {
    std::string state(store::ToString(action.state));
    std::string padded = fmt::format("{:<11}", state);
    if (color) padded = fmt::format("\x1b[{}m{}\x1b[0m", Colour(action.state), padded);
    std::string time = action.duration && action.state != ActionState::kSkipped &&
                               action.state != ActionState::kCancelled &&
                               action.state != ActionState::kPending
                           ? FormatDuration(*action.duration)
                           : "";
    std::string note = Tests(action.tests);
    if (!action.reason.empty()) note += (note.empty() ? "" : "; ") + action.reason;
    std::string row =
        fmt::format("{:<{}}  {}  {:>8}  {}", action.name, name_width, padded, time, note);
    while (!row.empty() && row.back() == ' ') row.pop_back();
    out += row + "\n";
  }
  for (const auto& action : run.actions) {
    if (action.state != ActionState::kFailed || action.log_tail.empty()) continue;
    out += fmt::format("\n--- {}: last lines of {}\n", action.name, action.log_path);
    for (const std::string& line : action.log_tail) out += line + "\n";
  }
  std::string verdict = run.state == store::RunState::kSucceeded
                            ? "succeeded"
                            : fmt::format("{}: {}", store::ToString(run.state), run.reason);
  out += fmt::format("\nrun {} {} in {}\n", run.id, verdict, FormatDuration(run.duration));
  return out;
}

}  // namespace lockstep::cli
