// `lockstep serve [--api ADDR:PORT] [--gateway ADDR:PORT] [--workspace FILE]`: the server
// (server/serve.h).
#include <fmt/core.h>

#include <filesystem>

#include "base/duration.h"
#include "base/state_directory.h"
#include "cli/command.h"
#include "coord/workspace.h"
#include "server/serve.h"

namespace lockstep::cli {
namespace {

struct ServeFlags {
  std::string api = "127.0.0.1:7400";
  std::string gateway = "127.0.0.1:8080";
  std::string warm_window = "5m";
  std::string shutdown_grace = "10s";
  std::string workspace;  // empty: the nearest lockstep.yaml, if any
  std::string poll_interval = "10s";
};

int Run(const ServeFlags& flags) {
  auto fail = [](const Error& error, int code) {
    fmt::print(stderr, "lockstep: error: {}\n", error.ToString());
    return code;
  };
  Result<http::Endpoint> api = http::ParseEndpoint(flags.api);
  if (!api) return fail(Error(api.error().code(), "--api: " + api.error().message()), kExitUsage);
  Result<http::Endpoint> gateway = http::ParseEndpoint(flags.gateway);
  if (!gateway) {
    return fail(Error(gateway.error().code(), "--gateway: " + gateway.error().message()),
                kExitUsage);
  }
  Result<std::chrono::milliseconds> warm = ParseDuration(flags.warm_window);
  if (!warm) {
    return fail(Error(warm.error().code(), "--warm-window: " + warm.error().message()), kExitUsage);
  }
  Result<std::chrono::milliseconds> grace = ParseDuration(flags.shutdown_grace);
  if (!grace) {
    return fail(Error(grace.error().code(), "--shutdown-grace: " + grace.error().message()),
                kExitUsage);
  }
  Result<std::chrono::milliseconds> poll = flags.poll_interval == "0"
                                               ? std::chrono::milliseconds(0)
                                               : ParseDuration(flags.poll_interval);
  if (!poll) {
    return fail(Error(poll.error().code(), "--poll-interval: " + poll.error().message()),
                kExitUsage);
  }
  std::filesystem::path workspace = flags.workspace;
  if (workspace.empty()) {
    workspace = FindWorkspaceFile(std::filesystem::current_path()).value_or("");
  } else {
    workspace = std::filesystem::absolute(workspace);
  }
  if (!workspace.empty()) {
    // A broken workspace is said now, with positions, not at the first rollout.
    Result<coord::Workspace> read = coord::ReadWorkspaceFile(workspace);
    if (!read) {
      fmt::print(stderr, "{}\n", read.error().message());
      return kExitFailure;
    }
  }
  Result<std::filesystem::path> state = FindStateDirectory(std::filesystem::current_path());
  if (!state) return fail(state.error(), kExitFailure);
  server::ServeOptions options{.state_directory = *state,
                               .api = *api,
                               .gateway = *gateway,
                               .shutdown_grace = *grace,
                               .warm_window = *warm,
                               .workspace_file = workspace,
                               .poll_interval = *poll,
                               .on_ready = {}};
  options.on_ready = [](const server::ServerAddress& address) {
    fmt::print("lockstep serve: API on http://{}, gateway on http://{} (pid {})\n", address.api,
               address.gateway, address.pid);
    std::fflush(stdout);
  };
  if (Result<void> served = server::Serve(options); !served) {
    return fail(served.error(), kExitFailure);
  }
  return kExitSuccess;
}

}  // namespace

CommandSpec ServeCommand() {
  return {
      "serve", "Run the server: the API, the gateway and the services it deploys",
      [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
        auto flags = std::make_shared<ServeFlags>();
        app.add_option("--api", flags->api, "Address of the API")->default_str("127.0.0.1:7400");
        app.add_option("--gateway", flags->gateway, "Address of the gateway")
            ->default_str("127.0.0.1:8080");
        app.add_option("--warm-window", flags->warm_window,
                       "How long the previous release keeps running after a cutover, so "
                       "that a rollback is a route switch")
            ->default_str("5m");
        app.add_option("--shutdown-grace", flags->shutdown_grace,
                       "How long requests and handlers get to finish on SIGTERM")
            ->default_str("10s");
        app.add_option("--workspace", flags->workspace,
                       "The lockstep.yaml whose rollouts this server carries out (default: the "
                       "nearest one at or above the current folder)");
        app.add_option("--poll-interval", flags->poll_interval,
                       "How often the repositories are checked for changes (0: never)")
            ->default_str("10s");
        return [flags] { return Run(*flags); };
      }};
}

}  // namespace lockstep::cli
