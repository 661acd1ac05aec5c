// `lockstep demo`: the registry example told in four acts, on this machine.
//
//   Begin   the workspace (lockstep.yaml, registry-api, registry-infrastructure,
//           registry-frontend as git repositories) and its own `lockstep serve`
//   Act 1   the first rollout: built, synced, deployed, tested; three people added
//   Act 2   an API commit whose newest handler fails its health check: the chain falls back
//           to the enhanced handler and the rollout succeeds, saying so
//   Act 3   a healthy API commit that breaks a post-deployment test: the rollout fails and
//           what it deployed is rolled back; the people are still there
//   Act 4   the fix: deployed on the newest handler, all green; the audit chain verifies
//   End     the URLs
//
// Each act prints a heading, the rollout's steps as they end and a summary table, and returns
// what happened as read back through the API, with whether it went as the story tells it.
// Not thread-safe.
#pragma once

#include <filesystem>
#include <functional>
#include <initializer_list>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "base/error.h"
#include "cli/demo_server.h"

namespace lockstep::cli {

struct DemoSettings {
  std::filesystem::path executable;  // the lockstep binary the server runs
  std::filesystem::path example;     // examples/registry
  std::filesystem::path directory;   // the workspace to make (new or empty)
  std::string api = "127.0.0.1:7400";
  std::string gateway = "127.0.0.1:8080";
  bool color = false;  // bold headings
};

struct ActOutcome {
  int act = 0;
  int64_t rollout = 0;  // 0 when the act started none
  std::string state;    // the rollout's final state
  std::string reason;   // the rollout's reason
  std::string trouble;  // "" when the act went as told; else what differed
  double seconds = 0;
};

class DemoStory {
 public:
  static constexpr int kActs = 4;
  using Output = std::function<void(std::string_view)>;

  DemoStory(DemoSettings settings, Output output);
  ~DemoStory();

  // Lays out the workspace and starts the server.
  Result<void> Begin();
  // Act `number` (1..kActs, in order). Fails when the act could not be carried out at all
  // (no server, a patch that does not apply); an act that went otherwise than told is an
  // outcome with `trouble`.
  Result<ActOutcome> Act(int number);
  // Prints where everything is.
  void End();

  DemoServer& server() { return *server_; }
  const DemoSettings& settings() const { return settings_; }

 private:
  Result<ActOutcome> FirstRollout();
  Result<ActOutcome> HandlerFallback();
  Result<ActOutcome> BrokenContract();
  Result<ActOutcome> TheFix();

  struct RolledOut {
    nlohmann::ordered_json rollout;   // the finished rollout, as the API shows it
    nlohmann::ordered_json services;  // every service after it
  };

  void Heading(std::string_view title, std::string_view story);
  void Say(std::string_view text);
  Result<void> Commit(std::string_view patch);
  // Commits `patches` (files of the example's acts/ folder) to registry-api, in order, then
  // rolls out and prints the summary.
  Result<RolledOut> CommitAndRollOut(std::initializer_list<std::string_view> patches);
  // Starts a rollout of the environment and follows it to its end, printing its steps.
  Result<nlohmann::ordered_json> Rollout();
  // The summary table of an act: the rollout's steps, then every service.
  Result<nlohmann::ordered_json> Summary(const nlohmann::ordered_json& rollout);
  Result<nlohmann::ordered_json> People();
  void ShowPeople(const nlohmann::ordered_json& people);

  DemoSettings settings_;
  Output output_;
  std::unique_ptr<DemoServer> server_;
  std::vector<std::string> people_;  // the emails of the people act 1 added
  std::string fallback_release_;     // the api release act 2 left serving
};

}  // namespace lockstep::cli
