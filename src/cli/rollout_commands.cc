// `lockstep up`, `rollouts`, `rollout ID`, `approve ID`, `reject ID`: coordination through the
// server. `up` starts a server in the background when none runs for this state directory.
#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <charconv>
#include <set>
#include <thread>

#include "base/state_directory.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "cli/rollout_print.h"

namespace lockstep::cli {
namespace {

using json = nlohmann::ordered_json;
namespace fs = std::filesystem;

int Failure(const lockstep::Error& error) {
  fmt::print(stderr, "lockstep: error: {}\n", error.message());
  return kExitFailure;
}

bool IsFinalState(std::string_view state) {
  return state == "succeeded" || state == "failed" || state == "rejected";
}

// Starts `lockstep serve` in its own session, its output in logs/serve.log, and waits until
// it answers.
Result<void> StartServer() {
  Result<fs::path> state = FindStateDirectory(fs::current_path());
  if (!state) return std::unexpected(state.error());
  std::error_code error;
  fs::create_directories(*state / "logs", error);
  fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (error) return Fail(ErrorCode::kIoError, "cannot find the lockstep binary");
  fs::path log = *state / "logs" / "serve.log";
  pid_t pid = ::fork();
  if (pid < 0) return Fail(ErrorCode::kIoError, "cannot start the server: fork failed");
  if (pid == 0) {
    ::setsid();
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    if (out >= 0 && in >= 0) {
      ::dup2(in, STDIN_FILENO);
      ::dup2(out, STDOUT_FILENO);
      ::dup2(out, STDERR_FILENO);
    }
    ::execl(executable.c_str(), executable.c_str(), "serve", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  fmt::print("started the server (pid {}); its log is {}\n", pid, log.string());
  for (int attempt = 0; attempt < 150; ++attempt) {
    Result<json> status = CallApi({.target = "/api/v1/status", .timeout = std::chrono::seconds(2)});
    if (status) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling a process we started
  }
  return Fail(ErrorCode::kUnavailable,
              fmt::format("the server did not answer within 15s; see {}", log.string()));
}

struct UpFlags {
  std::string environment;
  std::string actor;
  bool no_wait = false;
  bool json = false;
};

int Up(const UpFlags& flags) {
  Result<json> status = CallApi({.target = "/api/v1/status", .timeout = std::chrono::seconds(5)});
  if (!status) {
    if (status.error().code() != ErrorCode::kUnavailable) return Failure(status.error());
    if (Result<void> started = StartServer(); !started) return Failure(started.error());
  }
  json body = {{"actor", ActorName(flags.actor)}};
  if (!flags.environment.empty()) body["environment"] = flags.environment;
  Result<json> created = CallApi({.method = "POST",
                                  .target = "/api/v1/rollouts",
                                  .body = body,
                                  .needs_token = true,
                                  .timeout = std::chrono::minutes(2)});
  if (!created) return Failure(created.error());
  if ((*created)["rollout"].is_null() && !created->contains("id")) {
    if (flags.json) {
      fmt::print("{}\n", created->dump(2));
    } else {
      fmt::print("nothing changed since the last good rollout; nothing to do\n");
    }
    return kExitSuccess;
  }
  int64_t id = created->value("id", int64_t{0});
  if (!flags.json) {
    fmt::print("rollout {} ({}): {}\n", id, created->value("environment", ""),
               created->value("strategy", ""));
  }
  json rollout = *created;
  std::map<int64_t, std::string> shown;  // step number -> state printed
  bool told_approval = false;
  while (!flags.no_wait) {
    for (const json& step : rollout["steps"]) {
      int64_t number = step.value("number", int64_t{0});
      std::string state = step.value("state", "");
      if (!flags.json && shown[number] != state && state != "running") {
        fmt::print("{}\n", StepLine(step));
        std::fflush(stdout);
      }
      shown[number] = state;
    }
    std::string state = rollout.value("state", "");
    if (IsFinalState(state)) break;
    if (state == "awaiting_approval" && !told_approval && !flags.json) {
      fmt::print(
          "rollout {} waits for approval: `lockstep approve {}` (or reject); still "
          "following it (Ctrl-C leaves it waiting)\n",
          id, id);
      told_approval = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // polling the server's state
    Result<json> current = CallApi({.target = fmt::format("/api/v1/rollouts/{}", id)});
    if (!current) return Failure(current.error());
    rollout = std::move(*current);
  }
  std::string state = rollout.value("state", "");
  if (flags.json) {
    fmt::print("{}\n", rollout.dump(2));
  } else if (!flags.no_wait) {
    fmt::print("rollout {} {}{}\n", id, state,
               rollout.value("reason", "").empty() ? "" : ": " + rollout.value("reason", ""));
  }
  if (flags.no_wait) return kExitSuccess;
  return state == "succeeded" ? kExitSuccess : kExitFailure;
}

Result<int64_t> ParseRolloutId(const std::string& text) {
  int64_t id = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id <= 0) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not a rollout id (a positive number)", text));
  }
  return id;
}

int ListRollouts(const std::string& environment, int limit, bool as_json) {
  std::string target = fmt::format("/api/v1/rollouts?limit={}", limit);
  if (!environment.empty()) target += "&environment=" + environment;
  Result<json> listed = CallApi({.target = target});
  if (!listed) return Failure(listed.error());
  if (as_json) {
    fmt::print("{}\n", listed->dump(2));
    return kExitSuccess;
  }
  for (const json& pending : (*listed)["pending"]) {
    fmt::print("pending in {}: {} (run `lockstep up`)\n", pending.value("environment", ""),
               pending.value("strategy", ""));
  }
  const json& rollouts = (*listed)["rollouts"];
  if (rollouts.empty()) {
    fmt::print(
        "no rollouts yet; `lockstep plan` shows what one would do, `lockstep up` starts "
        "it\n");
    return kExitSuccess;
  }
  fmt::print("{:<6} {:<12} {:<18} {:<25} {:>8}  {}\n", "ID", "ENVIRONMENT", "STATE", "STARTED",
             "TOOK", "STRATEGY");
  for (const json& rollout : rollouts) {
    fmt::print("{:<6} {:<12} {:<18} {:<25} {:>8}  {}\n", rollout.value("id", 0),
               rollout.value("environment", ""), rollout.value("state", ""),
               rollout.value("created_at", ""), FormatMilliseconds(rollout["duration_ms"]),
               rollout.value("strategy", ""));
  }
  return kExitSuccess;
}

int ShowRollout(const std::string& text, bool as_json) {
  Result<int64_t> id = ParseRolloutId(text);
  if (!id) {
    fmt::print(stderr, "lockstep: error: {}\n", id.error().message());
    return kExitUsage;
  }
  Result<json> rollout = CallApi({.target = fmt::format("/api/v1/rollouts/{}", *id)});
  if (!rollout) return Failure(rollout.error());
  if (as_json) {
    fmt::print("{}\n", rollout->dump(2));
  } else {
    fmt::print("{}", RolloutTree(*rollout));
  }
  return kExitSuccess;
}

int Decide(const std::string& text, bool approve, const std::string& actor,
           const std::string& reason) {
  Result<int64_t> id = ParseRolloutId(text);
  if (!id) {
    fmt::print(stderr, "lockstep: error: {}\n", id.error().message());
    return kExitUsage;
  }
  json body = {{"actor", ActorName(actor)}};
  if (!reason.empty()) body["reason"] = reason;
  Result<json> decided =
      CallApi({.method = "POST",
               .target = fmt::format("/api/v1/rollouts/{}/{}", *id, approve ? "approve" : "reject"),
               .body = body,
               .needs_token = true});
  if (!decided) return Failure(decided.error());
  fmt::print("rollout {} {} by {}; it is now {}\n", *id, approve ? "approved" : "rejected",
             ActorName(actor), decided->value("state", ""));
  return kExitSuccess;
}

}  // namespace

CommandSpec UpCommand() {
  return {"up", "Carry out the plan for what changed as a rollout (starts a server if none runs)",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            auto flags = std::make_shared<UpFlags>();
            app.add_option("-e,--environment", flags->environment,
                           "The environment (default: the first in lockstep.yaml)");
            app.add_option("--actor", flags->actor, "Who asks (default: the login name)");
            app.add_flag("--no-wait", flags->no_wait,
                         "Return once the rollout is recorded instead of following it");
            app.add_flag("--json", flags->json, "Print the finished rollout as JSON");
            return [flags] { return Up(*flags); };
          }};
}

CommandSpec RolloutsCommand() {
  return {"rollouts", "List the rollouts, newest first",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            struct Flags {
              std::string environment;
              int limit = 20;
              bool json = false;
            };
            auto flags = std::make_shared<Flags>();
            app.add_option("-e,--environment", flags->environment, "Only this environment's");
            app.add_option("-n,--limit", flags->limit, "How many")->check(CLI::Range(1, 1000));
            app.add_flag("--json", flags->json, "Print the API's JSON");
            return [flags] { return ListRollouts(flags->environment, flags->limit, flags->json); };
          }};
}

CommandSpec RolloutCommand() {
  return {"rollout", "Show one rollout as a tree of its steps with timings",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            struct Flags {
              std::string id;
              bool json = false;
            };
            auto flags = std::make_shared<Flags>();
            app.add_option("id", flags->id, "The rollout's id")->required();
            app.add_flag("--json", flags->json, "Print the API's JSON");
            return [flags] { return ShowRollout(flags->id, flags->json); };
          }};
}

CommandSpec ApproveCommand() {
  return {"approve", "Approve a rollout that waits for approval; it continues",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            struct Flags {
              std::string id, actor;
            };
            auto flags = std::make_shared<Flags>();
            app.add_option("id", flags->id, "The rollout's id")->required();
            app.add_option("--actor", flags->actor, "Who approves (default: the login name)");
            return [flags] { return Decide(flags->id, true, flags->actor, ""); };
          }};
}

CommandSpec RejectCommand() {
  return {"reject", "Reject a rollout that waits for approval; it ends without running",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            struct Flags {
              std::string id, actor, reason;
            };
            auto flags = std::make_shared<Flags>();
            app.add_option("id", flags->id, "The rollout's id")->required();
            app.add_option("--actor", flags->actor, "Who rejects (default: the login name)");
            app.add_option("--reason", flags->reason, "Why, for the record");
            return [flags] { return Decide(flags->id, false, flags->actor, flags->reason); };
          }};
}

}  // namespace lockstep::cli
