#include "rollout_fixture.h"

#include <fmt/core.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

namespace lockstep::testing {

using json = nlohmann::json;

namespace {

constexpr const char* kApiWorkflow = R"yaml(Name: api-ci
SchemaVersion: "1.0"
Triggers:
  - Type: PUSH
    Branches: [main]
    FilesChanged: ["src/.*"]
Actions:
  Check:
    Identifier: aws/build@v1
    Inputs:
      Sources: [WorkflowSource]
    Configuration:
      Steps:
        - Run: test -s src/message.txt
        - Run: "! grep -q fail-api src/message.txt"
)yaml";

constexpr const char* kInfraWorkflow = R"yaml(Name: deploy-api
SchemaVersion: "1.0"
Triggers:
  - Type: PUSH
    Branches: [main]
Actions:
  Package:
    Identifier: aws/build@v1
    Inputs:
      Sources: [WorkflowSource]
    Configuration:
      Steps:
        - Run: "! grep -q fail-infra api/src/message.txt"
        - Run: |
            message=$(cat api/src/message.txt)
            exit_at_start=""
            case "$message" in *exit-main*) exit_at_start='"--exit-code", "3", ';; esac
            cat > lockstep.release.yaml <<EOF
            handlers:
              - { name: main, command: ["$HANDLER", $exit_at_start"--message", "$message"] }
              - { name: older, command: ["$HANDLER", "--message", "older"] }
            EOF
    Outputs:
      Artifacts:
        - Name: bundle
          Files: [lockstep.release.yaml]
  Deploy:
    Identifier: lockstep/deploy@v1
    DependsOn: [Package]
    Inputs:
      Artifacts: [bundle]
    Configuration:
      Service: api
)yaml";

constexpr const char* kWebWorkflow = R"yaml(Name: deploy-web
SchemaVersion: "1.0"
Triggers:
  - Type: PUSH
    Branches: [main]
Actions:
  Package:
    Identifier: aws/build@v1
    Inputs:
      Sources: [WorkflowSource]
    Configuration:
      Steps:
        - Run: if [ -n "$GATE" ]; then while [ ! -f "$GATE" ]; do sleep 0.05; done; fi
        - Run: "! grep -q fail-web index.html"
    Outputs:
      Artifacts:
        - Name: site
          Files: [index.html]
  Deploy:
    Identifier: lockstep/deploy@v1
    DependsOn: [Package]
    Inputs:
      Artifacts: [site]
    Configuration:
      Service: web
)yaml";

}  // namespace

RolloutWorkspace::RolloutWorkspace(const std::string& poll_interval)
    : server(root.path(), {"--poll-interval", poll_interval, "--warm-window", "1m"}) {
  api.Write("src/message.txt", "one\n");
  api.Write(".codecatalyst/workflows/api-ci.yaml", kApiWorkflow);
  api.Commit("api one");
  infra.Write("README.md", "the infrastructure\n");
  infra.Write(".codecatalyst/workflows/deploy-api.yaml", kInfraWorkflow);
  infra.Commit("infrastructure");
  web.Write("index.html", "<h1>welcome</h1>\n");
  web.Write(".codecatalyst/workflows/deploy-web.yaml", kWebWorkflow);
  web.Commit("web one");
  WriteWorkspace();
}

void RolloutWorkspace::WriteWorkspace(
    const std::string& environment,
    const std::vector<std::pair<std::string, std::string>>& variables) {
  std::string extra;
  for (const auto& [name, value] : variables) extra += fmt::format(", {}: \"{}\"", name, value);
  root.Write(
      "lockstep.yaml",
      fmt::format(R"(version: 1
name: three
repositories:
  api: {{ path: "{}", branch: main }}
  infra: {{ path: "{}", branch: main, after: [api] }}
  web: {{ path: "{}", branch: main, after: [infra] }}
sync:
  - {{ from: "api:src", to: "infra:api/src", commit: true }}
services:
  api:
    route: {{ path: /api, strip_prefix: true }}
    health: {{ path: /health, interval: 1s, timeout: 1s }}
    start_timeout: 20s
  web: {{ route: /, kind: static }}
environments:
  local: {{ {}{}variables: {{ HANDLER: "{}"{} }} }}
integration_tests:
  deadline: 5s
  tests:
    - {{ name: api answers, path: /api/, expect_status: 200 }}
    - {{ name: page, path: /index.html, expect_status: 200, expect_body: welcome }}
)",
                  api.path().string(), infra.path().string(), web.path().string(), environment,
                  environment.empty() ? "" : ", ", LOCKSTEP_TEST_HANDLER, extra));
}

std::string RolloutWorkspace::CommitApi(const std::string& message) {
  api.Write("src/message.txt", message + "\n");
  return api.Commit("api " + message);
}

std::string RolloutWorkspace::CommitWeb(const std::string& page) {
  web.Write("index.html", page + "\n");
  return web.Commit("web " + page);
}

json RolloutWorkspace::Rollout(int64_t id) const {
  http::ClientResponse response = server.Api("GET", fmt::format("/api/v1/rollouts/{}", id));
  if (response.status != 200) return nullptr;
  return json::parse(response.body, nullptr, false);
}

bool RolloutWorkspace::WaitForState(int64_t id, const std::string& state,
                                    std::chrono::milliseconds timeout) const {
  return WaitUntil(
      [&] {
        json rollout = Rollout(id);
        return rollout.is_object() && rollout.value("state", "") == state;
      },
      timeout);
}

std::string RolloutWorkspace::Serving(const std::string& service) const {
  http::ClientResponse response = server.Api("GET", "/api/v1/services/" + service);
  if (response.status != 200) return "";
  json body = json::parse(response.body, nullptr, false);
  return body.is_object() ? body.value("release", "") : "";
}

std::string RolloutWorkspace::ApiMessage() const {
  http::ClientResponse response = server.Gateway("GET", "/api/");
  if (response.status != 200) return "";
  json body = json::parse(response.body, nullptr, false);
  return body.is_object() ? body.value("message", "") : "";
}

}  // namespace lockstep::testing
