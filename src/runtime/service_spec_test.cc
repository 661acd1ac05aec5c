#include "runtime/service_spec.h"

#include <gtest/gtest.h>

#include <string>

namespace lockstep::runtime {
namespace {

using std::chrono::milliseconds;

// Reads the service `name` under `services:` in `text`.
Result<ServiceSpec> Read(const std::string& text, const std::string& name = "api") {
  Result<yaml::Node> root = yaml::ParseYaml(text, "lockstep.yaml");
  EXPECT_TRUE(root.has_value()) << root.error().ToString();
  const yaml::Node* services = root->Find("services");
  EXPECT_NE(services, nullptr);
  const yaml::Node* node = services->Find(name);
  EXPECT_NE(node, nullptr);
  return ReadServiceSpec(name, *node, "lockstep.yaml");
}

std::string ErrorOf(const std::string& text, const std::string& name = "api") {
  Result<ServiceSpec> spec = Read(text, name);
  EXPECT_FALSE(spec.has_value());
  return spec ? std::string("read") : spec.error().ToString();
}

TEST(ServiceSpecTest, DefaultsForAShortDeclaration) {
  Result<ServiceSpec> spec = Read("services:\n  api:\n    route: /api\n");
  ASSERT_TRUE(spec.has_value()) << spec.error().ToString();
  ServiceSpec expected;
  expected.name = "api";
  expected.route = Route{"api", "/api", "", false};
  EXPECT_EQ(*spec, expected);
}

TEST(ServiceSpecTest, ReadsEveryField) {
  Result<ServiceSpec> spec = Read(R"yaml(services:
  api:
    route: { path: /api, host: People.Test, strip_prefix: true }
    kind: http
    health: { path: /health, status: 204, interval: 5s, timeout: 1s, healthy_threshold: 2,
              unhealthy_threshold: 4 }
    drain_timeout: 30s
    environment: { LOG_LEVEL: debug, FEATURE_X: "on" }
)yaml");
  ASSERT_TRUE(spec.has_value()) << spec.error().ToString();
  EXPECT_EQ(spec->route, (Route{"api", "/api", "People.Test", true}));
  EXPECT_EQ(spec->health,
            (HealthCheck{"/health", 204, milliseconds(5000), milliseconds(1000), 2, 4}));
  EXPECT_EQ(spec->drain_timeout, milliseconds(30000));
  EXPECT_EQ(spec->environment,
            (std::map<std::string, std::string>{{"FEATURE_X", "on"}, {"LOG_LEVEL", "debug"}}));
  Result<ServiceSpec> web = Read("services:\n  web:\n    route: /\n    kind: static\n", "web");
  ASSERT_TRUE(web.has_value()) << web.error().ToString();
  EXPECT_EQ(web->kind, ServiceSpec::Kind::kStatic);
}

TEST(ServiceSpecTest, JsonFormReadsBackToTheSameValue) {
  Result<ServiceSpec> api = Read(R"yaml(services:
  api:
    route: { path: /api, host: people.test, strip_prefix: true }
    health: { path: /health, status: 204, interval: 1500ms, timeout: 1s }
    start_timeout: 45s
    drain_timeout: 3s
    environment: { MODE: "a b" }
)yaml");
  Result<ServiceSpec> web =
      Read("services:\n  web:\n    route: /\n    kind: static\n    spa: true\n", "web");
  ASSERT_TRUE(api && web);
  EXPECT_EQ(api->start_timeout, milliseconds(45000));
  EXPECT_TRUE(web->spa_fallback);
  for (const ServiceSpec& spec : {*api, *web}) {
    Result<yaml::Node> node = yaml::ParseYaml(ServiceSpecToJson(spec), "stored");
    ASSERT_TRUE(node) << node.error().ToString();
    Result<ServiceSpec> back = ReadServiceSpec(spec.name, *node, "stored");
    ASSERT_TRUE(back) << back.error().ToString();
    EXPECT_EQ(*back, spec);
  }
  EXPECT_EQ(
      ErrorOf("services:\n  web:\n    route: /\n    kind: static\n    start_timeout: 1s\n", "web"),
      "lockstep.yaml:5:20: service 'web': a static service starts no process: no "
      "'start_timeout'");
  EXPECT_EQ(ErrorOf("services:\n  api:\n    route: /api\n    spa: true\n"),
            "lockstep.yaml:4:10: service 'api': 'spa' applies to static services only");
}

TEST(ServiceSpecTest, EveryProblemIsNamedWithItsPosition) {
  EXPECT_EQ(ErrorOf("services:\n  api: /api\n"),
            "lockstep.yaml:2:8: service 'api': expected a mapping with at least 'route'");
  EXPECT_EQ(ErrorOf("services:\n  api:\n    kind: http\n"),
            "lockstep.yaml:3:5: service 'api': missing 'route': where the gateway serves it");
  EXPECT_EQ(ErrorOf("services:\n  api:\n    route: /api\n    replicas: 2\n"),
            "lockstep.yaml:4:5: service 'api': unknown key 'replicas' in a service (expected "
            "route, kind, health, start_timeout, drain_timeout, environment, spa)");
  EXPECT_EQ(ErrorOf("services:\n  api:\n    route: api\n"),
            "lockstep.yaml:3:12: service 'api': service \"api\": path prefix \"api\" must start "
            "with '/'");
  EXPECT_EQ(ErrorOf("services:\n  api:\n    route: /api\n    kind: lambda\n"),
            "lockstep.yaml:4:11: service 'api': 'kind' must be http or static, found 'lambda'");
  EXPECT_EQ(
      ErrorOf("services:\n  web:\n    route: /\n    kind: static\n    health: {path: /}\n", "web"),
      "lockstep.yaml:5:13: service 'web': a static service has no health check: the "
      "gateway serves it itself");
  EXPECT_EQ(ErrorOf("services:\n  api:\n    route: /api\n    health: { status: 700 }\n"),
            "lockstep.yaml:4:23: service 'api': 'status' must be a whole number from 100 to "
            "599, found '700'");
  EXPECT_EQ(
      ErrorOf("services:\n  api:\n    route: /api\n    health: { interval: 1s, timeout: 5s }\n"),
      "lockstep.yaml:4:38: service 'api': the health timeout must not be longer than its "
      "interval");
  EXPECT_EQ(ErrorOf("services:\n  api:\n    route: /api\n    drain_timeout: soon\n"),
            "lockstep.yaml:4:20: service 'api': 'drain_timeout': invalid duration 'soon': "
            "expected a whole number and a unit, like 500ms, 30s, 2m or 1h");
  EXPECT_EQ(ErrorOf("services:\n  api:\n    route: /api\n    environment: { PORT: '9' }\n"),
            "lockstep.yaml:4:20: service 'api': environment name 'PORT' is set by lockstep for "
            "every handler");
  EXPECT_EQ(ErrorOf("services:\n  api:\n    route: /api\n    environment: { 1X: a }\n"),
            "lockstep.yaml:4:20: service 'api': environment name '1X' must be letters, digits "
            "and '_', not starting with a digit");
  EXPECT_EQ(ErrorOf("services:\n  -bad:\n    route: /api\n", "-bad"),
            "lockstep.yaml:3:5: service '-bad': a service name must be 1-63 letters, digits, "
            "'-', '_' or '.', starting with a letter or digit");
}

}  // namespace
}  // namespace lockstep::runtime
