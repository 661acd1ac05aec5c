// `lockstep demo [--dir DIR] [--keep-running] [--api ADDR:PORT] [--gateway ADDR:PORT]`: the
// registry example end to end (see demo_story.h), then where everything is; with
// --keep-running it serves until Ctrl-C. Exit 0 when every act went as told.
#include <fmt/core.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "cli/command.h"
#include "cli/demo_story.h"
#include "cli/demo_workspace.h"

namespace lockstep::cli {
namespace {

namespace fs = std::filesystem;

struct DemoFlags {
  std::string directory;
  bool keep_running = false;
  std::string api = "127.0.0.1:7400";
  std::string gateway = "127.0.0.1:8080";
};

int Failure(const Error& error) {
  fmt::print(stderr, "lockstep: error: {}\n", error.message());
  return kExitFailure;
}

void PrintActs(const std::vector<ActOutcome>& outcomes) {
  fmt::print("\n  {:<4} {:<9} {:<10} {:>6}  {}\n", "act", "rollout", "state", "time", "as told");
  for (const ActOutcome& outcome : outcomes) {
    fmt::print("  {:<4} {:<9} {:<10} {:>5.0f}s  {}\n", outcome.act, outcome.rollout, outcome.state,
               outcome.seconds, outcome.trouble.empty() ? "yes" : "no: " + outcome.trouble);
  }
}

// Blocks until SIGINT or SIGTERM; the server, in the same process group, gets a terminal's
// Ctrl-C as well and shuts down by itself.
void AwaitInterrupt() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  int received = 0;
  sigwait(&signals, &received);
}

int RunDemo(const DemoFlags& flags, const GlobalOptions& global) {
  std::error_code error;
  fs::path executable = fs::read_symlink("/proc/self/exe", error);
  if (error) return Failure(Error(ErrorCode::kIoError, "cannot find the lockstep binary"));
  Result<fs::path> example = FindRegistryExample(executable);
  if (!example) return Failure(example.error());
  fs::path directory = flags.directory.empty() ? NewDemoDirectory(fs::current_path())
                                               : fs::absolute(flags.directory);
  DemoStory story({.executable = executable,
                   .example = *example,
                   .directory = directory,
                   .api = flags.api,
                   .gateway = flags.gateway,
                   .color = UseColor(global, STDOUT_FILENO)},
                  [](std::string_view text) {
                    std::fwrite(text.data(), 1, text.size(), stdout);
                    std::fflush(stdout);
                  });
  if (Result<void> begun = story.Begin(); !begun) return Failure(begun.error());
  std::vector<ActOutcome> outcomes;
  bool as_told = true;
  for (int act = 1; act <= DemoStory::kActs && as_told; ++act) {
    Result<ActOutcome> outcome = story.Act(act);
    if (!outcome) return Failure(outcome.error());
    as_told = outcome->trouble.empty();
    outcomes.push_back(*outcome);
  }
  PrintActs(outcomes);
  story.End();
  if (flags.keep_running) {
    fmt::print("\nServing until Ctrl-C.\n");
    std::fflush(stdout);
    AwaitInterrupt();
  }
  story.server().Stop();
  return as_told ? kExitSuccess : kExitFailure;
}

}  // namespace

CommandSpec DemoCommand() {
  return {
      "demo",
      "The registry example end to end: three repositories, coordinated rollouts, a handler "
      "fallback, a broken change rolled back",
      [](CLI::App& app, const GlobalOptions& global) -> std::function<int()> {
        auto flags = std::make_shared<DemoFlags>();
        app.add_option("--dir", flags->directory,
                       "The workspace to make (default: ./lockstep-demo, -2, … when taken)");
        app.add_flag("--keep-running", flags->keep_running,
                     "Keep serving after the story until Ctrl-C");
        app.add_option("--api", flags->api, "Where the API listens")->default_str("127.0.0.1:7400");
        app.add_option("--gateway", flags->gateway, "Where the gateway listens")
            ->default_str("127.0.0.1:8080");
        return [flags, &global] { return RunDemo(*flags, global); };
      }};
}

}  // namespace lockstep::cli
