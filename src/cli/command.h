// The command-line contract shared by every subcommand: global options, the table entry a
// subcommand file provides, and the exit codes. Thread-compatible; used from main only.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <string_view>

namespace lockstep::cli {

// Exit codes: 0 success, 1 failure (the command ran and found problems), 2 usage error.
inline constexpr int kExitSuccess = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

enum class ColorMode { kAuto, kAlways, kNever };

// Options every subcommand sees, filled in by the top-level parser.
struct GlobalOptions {
  ColorMode color = ColorMode::kAuto;
};

// Whether to colour output written to `fd`: --color, then NO_COLOR, then whether it is a
// terminal (and not TERM=dumb).
bool UseColor(const GlobalOptions& options, int fd);

// One row of the subcommand table. `add` declares the subcommand's flags on `app` and returns
// the action that runs it once parsing has succeeded; the action returns the exit code.
struct CommandSpec {
  std::string_view name;
  std::string_view summary;
  std::function<std::function<int()>(CLI::App& app, const GlobalOptions& global)> add;
};

// The subcommands, one file each (validate_command.cc, …).
CommandSpec ValidateCommand();
CommandSpec RunCommand();
CommandSpec RunsCommand();
CommandSpec LogsCommand();
CommandSpec TriggersCommand();
CommandSpec SyncCommand();
CommandSpec VerifyCommand();
CommandSpec ServeCommand();
CommandSpec DeployCommand();
CommandSpec RollbackCommand();
CommandSpec StatusCommand();
CommandSpec ReleasesCommand();
CommandSpec PlanCommand();
CommandSpec UpCommand();
CommandSpec RolloutsCommand();
CommandSpec RolloutCommand();
CommandSpec ApproveCommand();
CommandSpec RejectCommand();
CommandSpec TriggerCommand();
CommandSpec AuditCommand();
CommandSpec DemoCommand();

}  // namespace lockstep::cli
