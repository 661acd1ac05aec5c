// A workspace of three real repositories coordinated by a real `lockstep serve`, for the
// rollout tests:
//
//   api     src/message.txt; workflow api-ci checks it (fails when it says "fail-api")
//   infra   after api; receives api:src at api/src (synced and committed); workflow
//           deploy-api packages the test handler with the synced message and deploys service
//           `api` (/api, prefix stripped) with the chain main → older, failing when the
//           message says "fail-infra"; `main` exits at start when it says "exit-main"
//   web     after infra; index.html; workflow deploy-web deploys it as the static service
//           `web` at / (fails when it says "fail-web"; waits for $GATE when one is given)
//
// lockstep.yaml has one environment, `local`, and integration tests: /api/ answers 200 and
// /index.html holds "welcome". Not thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "git_fixture.h"
#include "serve_fixture.h"
#include "temp_dir.h"

namespace lockstep::testing {

class RolloutWorkspace {
 public:
  // `poll_interval` is the server's --poll-interval ("0": it does not poll).
  explicit RolloutWorkspace(const std::string& poll_interval = "0");

  // Rewrites lockstep.yaml; `environment` is the body of the environment `local` (YAML flow
  // mapping entries, e.g. "approval: required"), `variables` extra variables for every run.
  void WriteWorkspace(const std::string& environment = "",
                      const std::vector<std::pair<std::string, std::string>>& variables = {});

  // Commits a new message in the api repository / a new page in the web repository.
  std::string CommitApi(const std::string& message);
  std::string CommitWeb(const std::string& page);

  // `lockstep up` (and other commands) in the workspace against the server.
  CommandOutput Lockstep(const std::vector<std::string>& arguments) const {
    return server.Lockstep(arguments);
  }
  // GET /api/v1/rollouts/ID as JSON (null when it fails).
  nlohmann::json Rollout(int64_t id) const;
  // Waits (bounded) until rollout `id` is in `state`; false when it did not get there.
  bool WaitForState(int64_t id, const std::string& state,
                    std::chrono::milliseconds timeout = std::chrono::seconds(90)) const;
  // The release serving `service` now ("" for none).
  std::string Serving(const std::string& service) const;
  // The message the api service answers with through the gateway ("" when it does not).
  std::string ApiMessage() const;

  TempDir root;  // lockstep.yaml, and the server's state in root/state
  GitFixture api, infra, web;
  ServeFixture server;
};

}  // namespace lockstep::testing
