#include "engine/step_script.h"

#include <gtest/gtest.h>

#include "run_binary.h"
#include "temp_dir.h"

namespace lockstep::engine {
namespace {

using lockstep::testing::RunProgram;
using lockstep::testing::TempDir;

class StepScriptTest : public ::testing::Test {
 protected:
  // Writes the program for `script` and runs it with bash in the temporary directory.
  lockstep::testing::CommandOutput Run(const StepScript& script) {
    auto argv = WriteStepScript(script, dir_.path() / "program");
    EXPECT_TRUE(argv) << argv.error().message();
    std::vector<std::string> command = *argv;
    command[0] = "/bin/bash";
    return RunProgram(command, dir_.path());
  }

  static std::string WithoutMarkers(const std::string& out) {
    std::string kept;
    size_t start = 0;
    while (start < out.size()) {
      size_t end = out.find('\n', start);
      std::string line = out.substr(start, end - start);
      if (ParseStepMarker(line) == 0) kept += line + "\n";
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return kept;
  }

  TempDir dir_;
};

TEST_F(StepScriptTest, WorkingDirectoryAndAssignmentsCarryToTheNextStep) {
  dir_.Write("api/v", "1.4.2\n");
  StepScript script;
  script.steps = {"cd api", "VERSION=$(cat v)",
                  "echo \"$PWD\" | sed 's|.*/||'; sh -c 'echo $VERSION'"};
  script.output_variables = {"VERSION"};
  auto output = Run(script);
  EXPECT_EQ(output.exit_code, 0) << output.err;
  EXPECT_EQ(WithoutMarkers(output.out), "api\n1.4.2\n");
  auto outcome = ReadStepOutcome(dir_.path() / "program");
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->last_step, 3);
  EXPECT_EQ(outcome->variables, (std::map<std::string, std::string>{{"VERSION", "1.4.2"}}));
}

TEST_F(StepScriptTest, FirstFailingCommandFailsItsStepAndStopsTheRest) {
  StepScript script;
  script.steps = {"echo one", "false\necho not reached", "echo never"};
  script.output_variables = {"X"};
  auto output = Run(script);
  EXPECT_EQ(output.exit_code, 1);
  EXPECT_EQ(WithoutMarkers(output.out), "one\n");
  auto outcome = ReadStepOutcome(dir_.path() / "program");
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->last_step, 2);
  EXPECT_TRUE(outcome->variables.empty());
}

TEST_F(StepScriptTest, OutputVariablesKeepSpacesNewlinesAndEquals) {
  StepScript script;
  script.steps = {"A='x = y'\nB=$(printf 'line1\\nline2')\nEMPTY="};
  script.output_variables = {"A", "B", "EMPTY", "UNSET"};
  auto output = Run(script);
  EXPECT_EQ(output.exit_code, 0) << output.err;
  auto outcome = ReadStepOutcome(dir_.path() / "program");
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->variables, (std::map<std::string, std::string>{
                                    {"A", "x = y"}, {"B", "line1\nline2"}, {"EMPTY", ""}}));
}

TEST_F(StepScriptTest, AStepsOwnExitTrapDoesNotLoseOutputsOrTheStepNumber) {
  StepScript script;
  script.steps = {"trap 'echo cleanup' EXIT", "VERSION=2", "false"};
  script.output_variables = {"VERSION"};
  auto failed = Run(script);
  EXPECT_EQ(failed.exit_code, 1);
  EXPECT_EQ(ReadStepOutcome(dir_.path() / "program")->last_step, 3);
  script.steps.pop_back();
  auto passed = Run(script);
  EXPECT_EQ(passed.exit_code, 0);
  EXPECT_EQ(WithoutMarkers(passed.out), "cleanup\n");
  auto outcome = ReadStepOutcome(dir_.path() / "program");
  ASSERT_TRUE(outcome);
  EXPECT_EQ(outcome->variables, (std::map<std::string, std::string>{{"VERSION", "2"}}));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() / "program/outputs"));
}

TEST_F(StepScriptTest, InternalVariablesAreNotExportedToSteps) {
  StepScript script;
  script.steps = {"true", "env | grep -c __lockstep || true"};
  auto output = Run(script);
  EXPECT_EQ(WithoutMarkers(output.out), "0\n");
}

TEST_F(StepScriptTest, LimitsAreAppliedBeforeTheFirstStep) {
  StepScript script;
  script.steps = {"ulimit -n", "ulimit -f"};
  script.limits = {
      .open_files = 256, .file_size_bytes = 1 << 20, .cpu_seconds = {}, .address_space_bytes = {}};
  auto output = Run(script);
  EXPECT_EQ(WithoutMarkers(output.out), "256\n1024\n");
}

TEST_F(StepScriptTest, MarkersAnnounceEachStep) {
  StepScript script;
  script.steps = {"echo a", "echo b"};
  auto output = Run(script);
  EXPECT_EQ(output.out, StepMarker(1) + "\na\n" + StepMarker(2) + "\nb\n");
  EXPECT_EQ(ParseStepMarker(StepMarker(12)), 12);
  EXPECT_EQ(ParseStepMarker("lockstep-step 1"), 0);
}

TEST_F(StepScriptTest, TitleIsTheFirstLineShortened) {
  EXPECT_EQ(StepTitle("npm ci"), "npm ci");
  EXPECT_EQ(StepTitle("\n  make build\nmake test\n"), "make build …");
  EXPECT_EQ(StepTitle(std::string(80, 'x')), std::string(58, 'x') + " …");
}

}  // namespace
}  // namespace lockstep::engine
