#include "engine/native_deploy.h"

#include <gtest/gtest.h>

#include "yaml/yaml_tree.h"

namespace lockstep::engine {
namespace {

workflow::Action DeployAction(std::string_view configuration,
                              std::vector<std::string> artifacts = {"bundle", "docs"}) {
  workflow::Action action;
  action.name = "Deploy";
  action.identifier.value = "lockstep/deploy@v1";
  for (std::string& artifact : artifacts) {
    action.input_artifacts.push_back({.value = std::move(artifact), .mark = {}});
  }
  Result<yaml::Node> node = yaml::ParseYaml(configuration, "test.yaml");
  EXPECT_TRUE(node.has_value()) << node.error().ToString();
  if (node) action.configuration = std::move(*node);
  return action;
}

TEST(NativeDeployTest, DeploysTheFirstArtifactToAnExistingService) {
  Result<std::string> step = DeployStep(DeployAction("Service: api\n"), "release", "/src/app",
                                        "/opt/lockstep", "/state dir");
  ASSERT_TRUE(step.has_value()) << step.error().message();
  EXPECT_EQ(*step,
            "# lockstep/deploy@v1: api from artifact bundle\n"
            "__lockstep_deploy_outputs=\"$TMPDIR/lockstep-deploy-outputs\"\n"
            "(cd '/src/app' && LOCKSTEP_HOME='/state dir' '/opt/lockstep' deploy --actor "
            "\"${LOCKSTEP_ROLLOUT:+rollout $LOCKSTEP_ROLLOUT, }\"'workflow release run '"
            "\"$LOCKSTEP_RUN_ID\" --variables-file "
            "\"$__lockstep_deploy_outputs\" -- 'api' \"$CATALYST_SOURCE_DIR_bundle\")\n"
            ". \"$__lockstep_deploy_outputs\"\n"
            "rm -f \"$__lockstep_deploy_outputs\"\n");
}

TEST(NativeDeployTest, DefinesTheServiceWithQuotedValuesWhenRouteIsGiven) {
  Result<std::string> step = DeployStep(DeployAction(R"yaml(
Service: api
Route: /it's
StripPrefix: true
HealthPath: /health?x=$(touch y)
StartTimeout: 5s
Spa: false
)yaml"),
                                        "release", "/r", "/l", "/s");
  ASSERT_TRUE(step.has_value()) << step.error().message();
  EXPECT_NE(step->find("--variables-file \"$__lockstep_deploy_outputs\" --route '/it'\\''s' "
                       "--strip-prefix --health '/health?x=$(touch y)' --start-timeout '5s' -- "
                       "'api' \"$CATALYST_SOURCE_DIR_bundle\")\n"),
            std::string::npos)
      << *step;

  step = DeployStep(DeployAction("{Service: web, Route: /, Kind: static, Spa: true}"), "release",
                    "/r", "/l", "/s");
  ASSERT_TRUE(step.has_value()) << step.error().message();
  EXPECT_NE(step->find(" --route '/' --static --spa -- 'web' "), std::string::npos) << *step;
}

TEST(NativeDeployTest, RefusesWhatTheValidatorRefuses) {
  auto error = [](std::string_view configuration, std::vector<std::string> artifacts = {"b"}) {
    Result<std::string> step =
        DeployStep(DeployAction(configuration, std::move(artifacts)), "w", "/r", "/l", "/s");
    return step ? std::string("accepted") : step.error().message();
  };
  EXPECT_EQ(error("Service: api\n", {}),
            "action 'Deploy': lockstep/deploy@v1 needs an input artifact: the release is the "
            "root of the first one");
  EXPECT_EQ(error("Route: /api\n"),
            "action 'Deploy': lockstep/deploy@v1 needs Configuration "
            "Service");
  EXPECT_EQ(error("Service: \"-rf\"\n"),
            "action 'Deploy': lockstep/deploy@v1 'Service' must be a service name (letters, "
            "digits, '-', '_', '.'), found '-rf'");
  EXPECT_EQ(error("{Service: api, Kind: static}"),
            "action 'Deploy': lockstep/deploy@v1 'Kind' needs 'Route': together they define the "
            "service");
  EXPECT_EQ(error("{Service: api, Route: /, Kind: lambda}"),
            "action 'Deploy': lockstep/deploy@v1 'Kind' must be http or static, found 'lambda'");
  EXPECT_EQ(error("{Service: api, Route: /, StartTimeout: soon}"),
            "action 'Deploy': lockstep/deploy@v1 'StartTimeout': invalid duration 'soon': "
            "expected a whole number and a unit, like 500ms, 30s, 2m or 1h");
  EXPECT_EQ(error("{Service: api, Route: /, Spa: yes please}"),
            "action 'Deploy': lockstep/deploy@v1 'Spa' must be true or false");
  EXPECT_EQ(error("{Service: api, Route: \"/a\\ntouch x\"}"),
            "action 'Deploy': lockstep/deploy@v1 'Route' contains a control character (a line "
            "break?)");
}

}  // namespace
}  // namespace lockstep::engine
