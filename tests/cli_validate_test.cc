// `lockstep validate` as a user runs it: the real binary, real files, exit codes and output.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "fixture_util.h"
#include "run_binary.h"
#include "temp_dir.h"

namespace lockstep {
namespace {

using testing::RunLockstep;
using testing::SourceDir;
using testing::TempDir;

constexpr char kValidWorkflow[] = R"(Name: hello
SchemaVersion: "1.0"
Actions:
  Say:
    Identifier: aws/build@v1
    Configuration:
      Steps:
        - Run: echo hello
)";

constexpr char kBrokenWorkflow[] = R"(Name: hello
SchemaVersion: "1.0"
Actions:
  Say:
    Identifier: aws/build@v1
    Timeout: 0
    Configuration:
      Steps:
        - Run: echo hello
)";

TEST(CliValidateTest, PrintsCompilerStyleDiagnosticsWithSourceAndCaret) {
  TempDir dir;
  dir.Write("broken.yaml", kBrokenWorkflow);
  auto result = RunLockstep({"validate", "broken.yaml"}, dir.path());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out,
            "broken.yaml:6:14: error: 'Timeout' must be between 1 and 480 minutes, found 0\n"
            "    Timeout: 0\n"
            "             ^\n"
            "1 file checked: 1 error, 0 warnings\n");
}

TEST(CliValidateTest, ValidFilesExitZero) {
  TempDir dir;
  dir.Write("ok.yaml", kValidWorkflow);
  auto result = RunLockstep({"validate", "ok.yaml"}, dir.path());
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.out, "1 file checked: 0 errors, 0 warnings\n");
}

TEST(CliValidateTest, WithoutArgumentsChecksTheRepositoryWorkflowFolders) {
  TempDir dir;
  dir.Write(".git/HEAD", "ref: refs/heads/main\n");
  dir.Write(".codecatalyst/workflows/ok.yaml", kValidWorkflow);
  dir.Write(".codecatalyst/workflows/nested/broken.yml", kBrokenWorkflow);
  dir.Write(".codecatalyst/workflows/notes.txt", "not a workflow");
  dir.Write("src/deep/file.txt", "");
  auto result = RunLockstep({"validate", "--no-source"}, dir.path() / "src" / "deep");
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.out.find("nested/broken.yml:6:14: error: 'Timeout' must be between 1 and 480 "
                            "minutes, found 0\n"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("2 files checked: 1 error, 0 warnings\n"), std::string::npos);
}

TEST(CliValidateTest, ARepositoryWithoutWorkflowsIsAnError) {
  TempDir dir;
  dir.Write(".git/HEAD", "ref: refs/heads/main\n");
  auto result = RunLockstep({"validate"}, dir.path());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, fmt::format("lockstep: error: no workflow files under "
                                    "{}/.codecatalyst/workflows/\n",
                                    std::filesystem::canonical(dir.path()).string()));
}

TEST(CliValidateTest, AMissingFileIsReportedAndCounted) {
  TempDir dir;
  auto result = RunLockstep({"validate", "--no-source", "absent.yaml"}, dir.path());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out,
            "absent.yaml: error: absent.yaml: No such file or directory\n"
            "1 file checked: 1 error, 0 warnings\n");
}

TEST(CliValidateTest, JsonGivesTheSameDiagnosticsAsData) {
  TempDir dir;
  dir.Write("broken.yaml", kBrokenWorkflow);
  auto result = RunLockstep({"validate", "--json", "broken.yaml"}, dir.path());
  EXPECT_EQ(result.exit_code, 1);
  auto json = nlohmann::json::parse(result.out);
  EXPECT_EQ(json["errors"], 1);
  ASSERT_EQ(json["files"].size(), 1u);
  EXPECT_EQ(json["files"][0]["valid"], false);
  EXPECT_EQ(json["files"][0]["diagnostics"][0],
            nlohmann::json({{"severity", "error"},
                            {"line", 6},
                            {"column", 14},
                            {"message", "'Timeout' must be between 1 and 480 minutes, found 0"}}));
}

TEST(CliValidateTest, ColoursOnlyWhenAskedOrOnATerminal) {
  TempDir dir;
  dir.Write("broken.yaml", kBrokenWorkflow);
  auto plain = RunLockstep({"validate", "broken.yaml"}, dir.path());
  EXPECT_EQ(plain.out.find('\x1b'), std::string::npos);
  auto forced = RunLockstep({"--color", "always", "validate", "broken.yaml"}, dir.path());
  EXPECT_NE(forced.out.find("\x1b[1;31merror:"), std::string::npos) << forced.out;
  auto never =
      RunLockstep({"--color", "never", "validate", "broken.yaml"}, dir.path(), {"NO_COLOR=1"});
  EXPECT_EQ(never.out.find('\x1b'), std::string::npos);
}

TEST(CliValidateTest, UsageErrorsExitTwo) {
  TempDir dir;
  EXPECT_EQ(RunLockstep({}, dir.path()).exit_code, 2);
  EXPECT_EQ(RunLockstep({"frobnicate"}, dir.path()).exit_code, 2);
  auto unknown_flag = RunLockstep({"validate", "--strict"}, dir.path());
  EXPECT_EQ(unknown_flag.exit_code, 2);
  EXPECT_NE(unknown_flag.err.find("--strict"), std::string::npos) << unknown_flag.err;
  EXPECT_EQ(RunLockstep({"--color", "sometimes", "validate"}, dir.path()).exit_code, 2);
}

TEST(CliValidateTest, HelpAndVersionExitZero) {
  TempDir dir;
  auto version = RunLockstep({"--version"}, dir.path());
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_EQ(version.out, std::string("lockstep ") + LOCKSTEP_VERSION + "\n");
  auto help = RunLockstep({"--help"}, dir.path());
  EXPECT_EQ(help.exit_code, 0);
  EXPECT_NE(help.out.find("validate"), std::string::npos);
}

constexpr char kBrokenWorkspace[] = R"(repositories:
  api: { path: api }
  web: { path: web, after: [apy] }
)";

TEST(CliValidateTest, ChecksALockstepYamlWithTheSameDiagnostics) {
  TempDir dir;
  dir.Write("lockstep.yaml", kBrokenWorkspace);
  auto result = RunLockstep({"validate", "lockstep.yaml"}, dir.path());
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.out,
            "lockstep.yaml:3:29: error: repository 'web' is after unknown repository 'apy'; did "
            "you mean 'api'?\n"
            "  web: { path: web, after: [apy] }\n"
            "                            ^\n"
            "1 file checked: 1 error, 0 warnings\n");
  auto json = RunLockstep({"validate", "--json", "lockstep.yaml"}, dir.path());
  EXPECT_EQ(json.exit_code, 1);
  EXPECT_EQ(nlohmann::json::parse(json.out)["files"][0]["diagnostics"][0]["column"], 29);
  dir.Write("lockstep.yaml", "repositories:\n  api: { path: api }\n");
  EXPECT_EQ(RunLockstep({"validate", "lockstep.yaml"}, dir.path()).out,
            "1 file checked: 0 errors, 0 warnings\n");
}

TEST(CliValidateTest, WithoutArgumentsChecksTheNearestLockstepYamlToo) {
  TempDir dir;
  dir.Write("lockstep.yaml", kBrokenWorkspace);
  dir.Write("api/.git/HEAD", "ref: refs/heads/main\n");
  dir.Write("api/.codecatalyst/workflows/ok.yaml", kValidWorkflow);
  auto result = RunLockstep({"validate", "--no-source"}, dir.path() / "api");
  EXPECT_EQ(result.exit_code, 1);
  std::string workspace = (std::filesystem::canonical(dir.path()) / "lockstep.yaml").string();
  EXPECT_EQ(result.out, workspace +
                            ":3:29: error: repository 'web' is after unknown repository 'apy'; "
                            "did you mean 'api'?\n"
                            "2 files checked: 1 error, 0 warnings\n");
  // A workspace folder without workflows of its own: only lockstep.yaml is checked.
  auto alone = RunLockstep({"validate", "--no-source"}, dir.path());
  EXPECT_EQ(alone.exit_code, 1);
  EXPECT_NE(alone.out.find("1 file checked: 1 error"), std::string::npos) << alone.out;
}

TEST(CliValidateTest, TheDemoWorkflowsValidate) {
  auto result = RunLockstep({"validate", "tests/workflows/valid"}, SourceDir());
  EXPECT_EQ(result.exit_code, 0) << result.out;
}

}  // namespace
}  // namespace lockstep
