#include "cli/app.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdlib>
#include <map>

#include "base/logging.h"
#include "cli/command.h"

namespace lockstep::cli {

bool UseColor(const GlobalOptions& options, int fd) {
  if (options.color == ColorMode::kAlways) return true;
  if (options.color == ColorMode::kNever) return false;
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color != nullptr && no_color[0] != '\0') return false;
  const char* term = std::getenv("TERM");
  if (term != nullptr && std::string_view(term) == "dumb") return false;
  return ::isatty(fd) == 1;
}

int Main(int argc, char** argv) {
  CLI::App app{"lockstep coordinates deployments across several git repositories.", "lockstep"};
  app.set_version_flag("--version", std::string("lockstep ") + LOCKSTEP_VERSION);
  app.require_subcommand(1);
  app.fallthrough();

  GlobalOptions global;
  std::string log_format = "text";
  std::string log_level = "warn";
  std::map<std::string, ColorMode> color_modes = {
      {"auto", ColorMode::kAuto}, {"always", ColorMode::kAlways}, {"never", ColorMode::kNever}};
  app.add_option("--color", global.color, "Colour output: auto, always or never")
      ->transform(CLI::CheckedTransformer(color_modes))
      ->default_str("auto");
  app.add_option("--log-format", log_format, "Log format on standard error: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->default_str("text");
  app.add_option("--log-level", log_level, "trace, debug, info, warn, error, critical or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "critical", "off"}))
      ->default_str("warn");

  std::function<int()> action;
  const CommandSpec commands[] = {
      ValidateCommand(), RunCommand(),      RunsCommand(),   LogsCommand(),    TriggersCommand(),
      SyncCommand(),     VerifyCommand(),   ServeCommand(),  DeployCommand(),  RollbackCommand(),
      StatusCommand(),   ReleasesCommand(), PlanCommand(),   UpCommand(),      RolloutsCommand(),
      RolloutCommand(),  ApproveCommand(),  RejectCommand(), TriggerCommand(), AuditCommand(),
      DemoCommand()};
  for (const CommandSpec& command : commands) {
    CLI::App* sub = app.add_subcommand(std::string(command.name), std::string(command.summary));
    auto run = command.add(*sub, global);
    sub->callback([&action, run] { action = run; });
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  auto format = ParseLogFormat(log_format);
  LoggingOptions logging{format.value_or(LogFormat::kText), log_level,
                         UseColor(global, STDERR_FILENO)};
  if (auto status = SetUpLogging(logging); !status) {
    fmt::print(stderr, "lockstep: error: {}\n", status.error().message());
    return kExitUsage;
  }
  if (!action) return kExitUsage;
  try {
    return action();
  } catch (const std::exception& e) {
    // A bug, not a user error: say so plainly rather than crash.
    spdlog::critical("internal error: {}", e.what());
    return kExitFailure;
  }
}

}  // namespace lockstep::cli
