#include "cli/rollout_print.h"

#include <fmt/core.h>

namespace lockstep::cli {

using json = nlohmann::ordered_json;

std::string FormatMilliseconds(const json& milliseconds) {
  if (!milliseconds.is_number()) return "";
  int64_t ms = milliseconds.get<int64_t>();
  if (ms < 1000) return fmt::format("{}ms", ms);
  if (ms < 60'000) return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
  return fmt::format("{}m{:02}s", ms / 60'000, (ms / 1000) % 60);
}

std::string StepLine(const json& step) {
  std::string state = step.value("state", "");
  std::string_view mark = state == "succeeded" ? "ok  "
                          : state == "failed"  ? "FAIL"
                          : state == "skipped" ? "skip"
                                               : "... ";
  std::string duration = FormatMilliseconds(step["duration_ms"]);
  std::string line =
      fmt::format("  [{}] {:<11} {}", mark, step.value("kind", ""), step.value("subject", ""));
  if (!duration.empty()) line += fmt::format(" ({})", duration);
  if (std::string detail = step.value("detail", ""); !detail.empty()) {
    line += fmt::format("\n         {}", detail);
  }
  return line;
}

std::string RolloutTree(const json& rollout) {
  std::string text = fmt::format("rollout {} ({}): {}\n", rollout.value("id", 0),
                                 rollout.value("environment", ""), rollout.value("state", ""));
  text += fmt::format("  strategy   {}\n", rollout.value("strategy", ""));
  text += fmt::format("  requested  by {} at {}\n", rollout.value("actor", ""),
                      rollout.value("created_at", ""));
  if (std::string decided = rollout.value("decided_by", ""); !decided.empty()) {
    text += fmt::format("  decided    by {}\n", decided);
  }
  if (std::string duration = FormatMilliseconds(rollout["duration_ms"]); !duration.empty()) {
    text += fmt::format("  took       {}\n", duration);
  }
  if (std::string reason = rollout.value("reason", ""); !reason.empty()) {
    text += fmt::format("  reason     {}\n", reason);
  }
  const json& steps = rollout["steps"];
  text += steps.empty() ? "  no steps yet\n" : "  steps\n";
  for (size_t i = 0; i < steps.size(); ++i) {
    const json& step = steps[i];
    bool last = i + 1 == steps.size();
    std::string line = StepLine(step);
    // The tree's branches in front of the step's first line, its detail indented under it.
    size_t newline = line.find('\n');
    std::string head = line.substr(2, newline == std::string::npos ? line.npos : newline - 2);
    text += fmt::format("  {} {}\n", last ? "└─" : "├─", head);
    if (newline != std::string::npos) {
      text += fmt::format("  {}      {}\n", last ? "  " : "│ ",
                          line.substr(line.find_first_not_of(' ', newline + 1)));
    }
  }
  return text;
}

}  // namespace lockstep::cli
