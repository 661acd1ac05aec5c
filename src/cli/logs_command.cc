// `lockstep logs RUN [ACTION]`: prints the logs of a run's actions (their latest attempts),
// optionally following them while the run goes on.
#include <fmt/core.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "base/strings.h"
#include "cli/command.h"
#include "cli/state_store.h"
#include "engine/action_log.h"

namespace lockstep::cli {
namespace {

struct LogsOptions {
  int64_t run = 0;
  std::string action;
  bool follow = false;
  bool json = false;
  bool timestamps = false;
};

constexpr auto kFollowPoll = std::chrono::milliseconds(200);

// Reads new complete lines from a log file, remembering how far it got.
struct LogCursor {
  std::string action;
  std::string path;
  std::streamoff offset = 0;
  std::string partial;

  std::vector<std::string> ReadNew() {
    std::vector<std::string> lines;
    std::ifstream in(path, std::ios::binary);
    if (!in) return lines;
    in.seekg(offset);
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    offset += static_cast<std::streamoff>(chunk.size());
    partial += chunk;
    size_t start = 0;
    for (size_t end; (end = partial.find('\n', start)) != std::string::npos; start = end + 1)
      lines.push_back(partial.substr(start, end - start));
    partial.erase(0, start);
    return lines;
  }
};

void PrintLine(const LogsOptions& options, const LogCursor& cursor, bool prefix,
               const std::string& raw) {
  engine::LogLine line = engine::ParseLogLine(raw);
  if (options.json) {
    fmt::print("{}\n", nlohmann::json{{"action", cursor.action},
                                      {"time", line.time},
                                      {"stream", line.stream},
                                      {"text", line.text}}
                           .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    return;
  }
  std::string out;
  if (options.timestamps) out += line.time + " ";
  if (prefix) out += "[" + cursor.action + "] ";
  if (line.stream == "---") out += "--- ";
  out += line.text;
  fmt::print("{}\n", out);
}

int Run(const LogsOptions& options) {
  auto store = OpenStateStore(std::filesystem::current_path());
  if (!store) {
    fmt::print(stderr, "lockstep: error: {}\n", store.error().message());
    return kExitFailure;
  }
  auto run = (*store)->GetRun(options.run);
  if (!run) {
    fmt::print(stderr, "lockstep: error: {}\n", run.error().message());
    return kExitFailure;
  }
  auto actions = (*store)->ListActions(options.run);
  if (!actions) {
    fmt::print(stderr, "lockstep: error: {}\n", actions.error().message());
    return kExitFailure;
  }
  std::vector<std::string> names;
  for (const auto& action : *actions) names.push_back(action.name);
  if (!options.action.empty() &&
      std::find(names.begin(), names.end(), options.action) == names.end()) {
    fmt::print(stderr, "lockstep: error: run {} has no action '{}'; it has: {}\n", options.run,
               options.action, Join(names, ", "));
    return kExitFailure;
  }
  const bool prefix = options.action.empty();
  std::vector<LogCursor> cursors;
  auto print_new = [&](LogCursor& cursor) {
    for (const std::string& line : cursor.ReadNew()) PrintLine(options, cursor, prefix, line);
  };
  // Adds the logs of actions that started since, and moves to a newer attempt's log after
  // printing what is left of the older one.
  auto refresh = [&](const std::vector<store::ActionRecord>& records) {
    for (const auto& record : records) {
      if (!options.action.empty() && record.name != options.action) continue;
      if (record.log_path.empty()) continue;
      auto it = std::find_if(cursors.begin(), cursors.end(),
                             [&](const LogCursor& c) { return c.action == record.name; });
      if (it == cursors.end()) {
        cursors.push_back({record.name, record.log_path, 0, {}});
      } else if (it->path != record.log_path) {
        print_new(*it);
        *it = {record.name, record.log_path, 0, {}};
      }
    }
  };
  refresh(*actions);
  while (true) {
    for (LogCursor& cursor : cursors) print_new(cursor);
    std::fflush(stdout);
    if (!options.follow) break;
    auto current = (*store)->GetRun(options.run);
    bool ended = !current || store::IsFinal(current->state);
    if (auto latest = (*store)->ListActions(options.run)) refresh(*latest);
    if (ended) {
      for (LogCursor& cursor : cursors) print_new(cursor);
      std::fflush(stdout);
      break;
    }
    std::this_thread::sleep_for(kFollowPoll);
  }
  return kExitSuccess;
}

}  // namespace

CommandSpec LogsCommand() {
  return {"logs", "Print the logs of a run's actions",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            auto options = std::make_shared<LogsOptions>();
            app.add_option("run", options->run, "The run's id")->required();
            app.add_option("action", options->action, "Only this action");
            app.add_flag("-f,--follow", options->follow, "Keep printing until the run ends");
            app.add_flag("-t,--timestamps", options->timestamps, "Show each line's time (UTC)");
            app.add_flag("--json", options->json, "One JSON object per line");
            return [options] { return Run(*options); };
          }};
}

}  // namespace lockstep::cli
