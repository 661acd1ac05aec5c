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
  // Runs the program for `script` with bash in the temporary directory.
  lockstep::testing::CommandOutput Run(const StepScript& script) {
    auto argv = StepProgram(script, outputs_, dir_.path() / "program.sh");
    EXPECT_TRUE(argv) << argv.error().message();
    std::vector<std::string> command = *argv;
    command[0] = "/bin/bash";
    return RunProgram(command, dir_.path());
  }

  std::map<std::string, std::string> Outputs() {
    auto outputs = ReadStepOutputs(outputs_);
    EXPECT_TRUE(outputs) << outputs.error().message();
    return outputs.value_or(std::map<std::string, std::string>{});
  }

  // The output without marker lines, and the last step a marker announced.
  static std::string WithoutMarkers(const std::string& out, int* last_step = nullptr) {
    std::string kept;
    size_t start = 0;
    while (start < out.size()) {
      size_t end = out.find('\n', start);
      std::string line = out.substr(start, end - start);
      if (int step = ParseStepMarker(line); step > 0) {
        if (last_step != nullptr) *last_step = step;
      } else {
        kept += line + "\n";
      }
      if (end == std::string::npos) break;
      start = end + 1;
    }
    return kept;
  }

  TempDir dir_;
  std::filesystem::path outputs_ = dir_.path() / "outputs";
};

TEST_F(StepScriptTest, WorkingDirectoryAndAssignmentsCarryToTheNextStep) {
  dir_.Write("api/v", "1.4.2\n");
  StepScript script;
  script.steps = {"cd api", "VERSION=$(cat v)",
                  "echo \"$PWD\" | sed 's|.*/||'; sh -c 'echo $VERSION'"};
  script.output_variables = {"VERSION"};
  auto output = Run(script);
  EXPECT_EQ(output.exit_code, 0) << output.err;
  int last = 0;
  EXPECT_EQ(WithoutMarkers(output.out, &last), "api\n1.4.2\n");
  EXPECT_EQ(last, 3);
  EXPECT_EQ(Outputs(), (std::map<std::string, std::string>{{"VERSION", "1.4.2"}}));
}

TEST_F(StepScriptTest, FirstFailingCommandFailsItsStepAndStopsTheRest) {
  StepScript script;
  script.steps = {"echo one", "false\necho not reached", "echo never"};
  script.output_variables = {"X"};
  auto output = Run(script);
  EXPECT_EQ(output.exit_code, 1);
  int last = 0;
  EXPECT_EQ(WithoutMarkers(output.out, &last), "one\n");
  EXPECT_EQ(last, 2);
  EXPECT_TRUE(Outputs().empty());
}

TEST_F(StepScriptTest, OutputVariablesKeepSpacesNewlinesAndEquals) {
  StepScript script;
  script.steps = {"A='x = y'\nB=$(printf 'line1\\nline2')\nEMPTY="};
  script.output_variables = {"A", "B", "EMPTY", "UNSET"};
  auto output = Run(script);
  EXPECT_EQ(output.exit_code, 0) << output.err;
  EXPECT_EQ(Outputs(), (std::map<std::string, std::string>{
                           {"A", "x = y"}, {"B", "line1\nline2"}, {"EMPTY", ""}}));
  EXPECT_FALSE(std::filesystem::exists(outputs_));  // read once, then gone
}

TEST_F(StepScriptTest, AStepsOwnExitTrapDoesNotLoseOutputs) {
  StepScript script;
  script.steps = {"trap 'echo cleanup' EXIT", "VERSION=2"};
  script.output_variables = {"VERSION"};
  auto output = Run(script);
  EXPECT_EQ(output.exit_code, 0);
  EXPECT_EQ(WithoutMarkers(output.out), "cleanup\n");
  EXPECT_EQ(Outputs(), (std::map<std::string, std::string>{{"VERSION", "2"}}));
}

TEST_F(StepScriptTest, QuotesAndDollarsInStepsArriveIntact) {
  StepScript script;
  script.steps = {"echo 'single' \"double $((1 + 2))\" it\\'s", "printf '%s\\n' '$HOME'"};
  auto output = Run(script);
  EXPECT_EQ(WithoutMarkers(output.out), "single double 3 it's\n$HOME\n");
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

TEST_F(StepScriptTest, AProgramTooLongForAnArgumentGoesToAFile) {
  StepScript script;
  script.steps = {"echo " + std::string(100 * 1024, 'x') + " | wc -c"};
  auto output = Run(script);
  EXPECT_EQ(output.exit_code, 0) << output.err;
  EXPECT_EQ(WithoutMarkers(output.out), std::to_string(100 * 1024 + 1) + "\n");
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "program.sh"));
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
  EXPECT_EQ(StepTitle(std::string(57, 'x') + "éé" + std::string(20, 'y')),
            std::string(57, 'x') + " …");
}

}  // namespace
}  // namespace lockstep::engine
