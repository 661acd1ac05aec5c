#include "runtime/release_spec.h"

#include <gtest/gtest.h>

#include <string>

namespace lockstep::runtime {
namespace {

std::string ErrorOf(std::string_view text) {
  Result<ReleaseSpec> spec = ParseReleaseSpec(text, "lockstep.release.yaml");
  EXPECT_FALSE(spec.has_value());
  return spec ? std::string("parsed") : spec.error().ToString();
}

TEST(ReleaseSpecTest, ReadsTheChainInOrder) {
  Result<ReleaseSpec> spec = ParseReleaseSpec(R"yaml(handlers:
  - { name: integrated, command: [./bin/registry-api] }
  - name: enhanced
    command: [./handlers/enhanced/api, --quiet, "--port=${PORT}"]
  - { name: legacy.v1, command: [python3, legacy.py] }
  - { name: system, command: [/usr/bin/env, node, server.js] }
)yaml",
                                              "lockstep.release.yaml");
  ASSERT_TRUE(spec.has_value()) << spec.error().ToString();
  EXPECT_EQ(*spec, (ReleaseSpec{{
                       {"integrated", {"./bin/registry-api"}},
                       {"enhanced", {"./handlers/enhanced/api", "--quiet", "--port=${PORT}"}},
                       {"legacy.v1", {"python3", "legacy.py"}},
                       {"system", {"/usr/bin/env", "node", "server.js"}},
                   }}));
}

TEST(ReleaseSpecTest, JsonFormReadsBackToTheSameValue) {
  ReleaseSpec spec{{{"integrated", {"./bin/api", "--port", "$PORT"}},
                    {"legacy", {"/usr/bin/env", "a \"quoted\" word"}}}};
  Result<ReleaseSpec> back = ParseReleaseSpec(ReleaseSpecToJson(spec), "stored");
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(*back, spec);
}

TEST(ReleaseSpecTest, EveryProblemIsNamedWithItsPosition) {
  EXPECT_EQ(ErrorOf(""), "lockstep.release.yaml:1:1: empty release file: it needs 'handlers'");
  EXPECT_EQ(ErrorOf("handlers: [\n"),
            "lockstep.release.yaml:1:11: this '[' is never closed (expected ']' before line 2)");
  EXPECT_EQ(ErrorOf("- a\n"), "lockstep.release.yaml:1:1: expected a mapping with 'handlers'");
  EXPECT_EQ(ErrorOf("chain: []\n"),
            "lockstep.release.yaml:1:1: unknown key 'chain' (expected handlers)");
  EXPECT_EQ(ErrorOf("handlers: []\n"),
            "lockstep.release.yaml:1:11: 'handlers' must be a non-empty list of {name, command}");
  EXPECT_EQ(ErrorOf("handlers:\n"),
            "lockstep.release.yaml:1:1: 'handlers' must be a non-empty list of {name, command}");
  EXPECT_EQ(ErrorOf("handlers:\n  - { command: [./a] }\n"),
            "lockstep.release.yaml:2:5: a handler needs a 'name'");
  EXPECT_EQ(ErrorOf("handlers:\n  - { name: -x, command: [./a] }\n"),
            "lockstep.release.yaml:2:13: handler name '-x' must be 1-63 letters, digits, '.', "
            "'_' or '-', starting with a letter or digit");
  EXPECT_EQ(ErrorOf("handlers:\n  - { name: a }\n"),
            "lockstep.release.yaml:2:5: handler 'a' needs a 'command'");
  EXPECT_EQ(ErrorOf("handlers:\n  - { name: a, command: ./bin/a }\n"),
            "lockstep.release.yaml:2:25: handler 'a': 'command' must be a non-empty list of "
            "arguments, like [./bin/app, --flag]");
  EXPECT_EQ(ErrorOf("handlers:\n  - { name: a, command: [./a, [x]] }\n"),
            "lockstep.release.yaml:2:31: handler 'a': every argument must be a string, found a "
            "list");
  EXPECT_EQ(ErrorOf("handlers:\n  - { name: a, command: [../outside/app] }\n"),
            "lockstep.release.yaml:2:26: handler 'a': program '../outside/app' has a '..' "
            "component; a handler runs from inside its release");
  EXPECT_EQ(ErrorOf("handlers:\n  - { name: a, command: [bin/app] }\n"),
            "lockstep.release.yaml:2:26: handler 'a': program 'bin/app' must start with './' (a "
            "file in the release), be absolute, or be a bare name found on PATH");
  EXPECT_EQ(
      ErrorOf("handlers:\n  - { name: a, command: [./a] }\n  - { name: a, command: [./b] }\n"),
      "lockstep.release.yaml:3:13: handler 'a' appears twice in the chain");
  EXPECT_EQ(ErrorOf("handlers:\n  - { name: a, command: [./a], env: {} }\n"),
            "lockstep.release.yaml:2:32: unknown key 'env' (expected name, command)");
}

TEST(ReleaseSpecTest, AChainHasAtMostSixteenCandidates) {
  std::string text = "handlers:\n";
  for (int i = 0; i < 17; ++i) {
    text += "  - { name: h" + std::to_string(i) + ", command: [./h] }\n";
  }
  EXPECT_EQ(ErrorOf(text), "lockstep.release.yaml:18:5: at most 16 handlers in a chain");
}

}  // namespace
}  // namespace lockstep::runtime
