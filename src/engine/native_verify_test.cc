#include "engine/native_verify.h"

#include <gtest/gtest.h>

#include "yaml/yaml_tree.h"

namespace lockstep::engine {
namespace {

workflow::Action VerifyAction(std::string_view configuration) {
  workflow::Action action;
  action.name = "Verify";
  action.identifier.value = "lockstep/verify@v1";
  Result<yaml::Node> node = yaml::ParseYaml(configuration, "test.yaml");
  EXPECT_TRUE(node.has_value()) << node.error().ToString();
  if (node) action.configuration = std::move(*node);
  return action;
}

TEST(NativeVerifyTest, TurnsTheConfigurationIntoAChecksFileWrittenByAQuotedHeredoc) {
  workflow::Action action = VerifyAction(R"yaml(
Deadline: 10s
Checks:
  - Method: POST
    Path: /people
    Headers: {Authorization: "Bearer ${Secrets.TOKEN}"}
    Body: '{"name":"it''s"}'
    ExpectStatus: 201
    Capture: {ID: /id}
  - Path: /people/${ID}?release=${Deploy.ReleaseId}
    ExpectStatus: 200
)yaml");
  Result<std::string> step = VerifyStep(action, "/opt/lockstep", "/state dir", "");
  ASSERT_TRUE(step.has_value()) << step.error().message();
  EXPECT_EQ(*step,
            "# lockstep/verify@v1: 2 checks\n"
            "export LOCKSTEP_VERIFY_1=\"${Secrets.TOKEN}\"\n"
            "export LOCKSTEP_VERIFY_2=\"${Deploy.ReleaseId}\"\n"
            "__lockstep_verify_checks=\"$TMPDIR/lockstep-verify-checks.json\"\n"
            "cat > \"$__lockstep_verify_checks\" <<'LOCKSTEP_VERIFY_CHECKS'\n"
            R"({"Deadline":"10000ms","Interval":"1000ms","Checks":[)"
            R"({"Method":"POST","Path":"/people","Body":"{\"name\":\"it's\"}",)"
            R"("Headers":{"Authorization":"Bearer ${LOCKSTEP_VERIFY_1}"},"ExpectStatus":201,)"
            R"("Capture":{"ID":"/id"}},)"
            R"({"Name":"GET /people/${ID}?release=<Deploy.ReleaseId>","Method":"GET",)"
            R"("Path":"/people/${ID}?release=${LOCKSTEP_VERIFY_2}","ExpectStatus":200}]})"
            "\n"
            "LOCKSTEP_VERIFY_CHECKS\n"
            "LOCKSTEP_HOME='/state dir' '/opt/lockstep' verify --checks "
            "\"$__lockstep_verify_checks\" --from-env LOCKSTEP_VERIFY_1 --from-env "
            "LOCKSTEP_VERIFY_2\n");
}

TEST(NativeVerifyTest, KeepsYamlTypesInExpectJsonAndPassesTheGatewayUrl) {
  workflow::Action action = VerifyAction(R"yaml(
BaseUrl: http://127.0.0.1:8080
Checks:
  - Path: /
    ExpectStatus: 200
    ExpectJson: {/n: 42, /s: "42", /f: 1.5, /b: true, /z: null, /w: word, /h: 0x1F}
)yaml");
  std::vector<std::string> references;
  Result<CheckSuite> suite = SuiteFromConfiguration(action, references);
  ASSERT_TRUE(suite.has_value()) << suite.error().message();
  EXPECT_TRUE(references.empty());
  EXPECT_EQ(suite->base_url, "http://127.0.0.1:8080");
  ASSERT_EQ(suite->checks.size(), 1u);
  EXPECT_EQ(suite->checks[0].expect_json, (std::vector<NameValue>{{"/n", "42"},
                                                                  {"/s", "\"42\""},
                                                                  {"/f", "1.5"},
                                                                  {"/b", "true"},
                                                                  {"/z", "null"},
                                                                  {"/w", "\"word\""},
                                                                  {"/h", "\"0x1F\""}}));

  Result<std::string> step = VerifyStep(action, "/bin/lockstep", "/s", "http://gw:1");
  ASSERT_TRUE(step.has_value()) << step.error().message();
  EXPECT_NE(step->find("LOCKSTEP_HOME='/s' LOCKSTEP_GATEWAY_URL='http://gw:1' '/bin/lockstep' "
                       "verify --checks \"$__lockstep_verify_checks\"\n"),
            std::string::npos)
      << *step;
}

TEST(NativeVerifyTest, RefusesWhatTheCommandWouldRefuse) {
  auto error = [](std::string_view configuration) {
    Result<std::string> step = VerifyStep(VerifyAction(configuration), "/l", "/s", "");
    return step ? std::string("accepted") : step.error().message();
  };
  EXPECT_EQ(error("Deadline: 30s\n"),
            "action 'Verify': lockstep/verify@v1 'Checks' must list at least one check");
  EXPECT_EQ(error("Checks:\n  - {Path: /, ExpectStatus: 200, Name: \"at ${Deploy.ReleaseId}\"}\n"),
            "action 'Verify': lockstep/verify@v1 takes workflow references such as "
            "${Deploy.ReleaseId} only in Path, Body, Headers and ExpectBody");
  EXPECT_EQ(error("Checks:\n  - {Path: \"/a/${ID}\", ExpectStatus: 200}\n"),
            "action 'Verify': check 1 (GET /a/${ID}): ${ID} is not captured by an earlier check");
  EXPECT_EQ(error("Checks:\n  - {Path: /, ExpectStatus: 200}\nInterval: 1.5s\n"),
            "action 'Verify': lockstep/verify@v1 'Interval': invalid duration '1.5s': expected a "
            "whole number and a unit, like 500ms, 30s, 2m or 1h");
}

}  // namespace
}  // namespace lockstep::engine
