#include "cli/run_progress.h"

#include <gtest/gtest.h>

#include <cstdio>

namespace lockstep::cli {
namespace {

using store::ActionState;

class RunProgressTest : public ::testing::Test {
 protected:
  std::string Printed() {
    std::fflush(file_);
    std::rewind(file_);
    std::string text;
    char buffer[4096];
    size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file_)) > 0) text.append(buffer, n);
    return text;
  }
  static engine::ActionView View(std::string name, ActionState state, std::string reason = {}) {
    engine::ActionView view;
    view.name = std::move(name);
    view.state = state;
    view.reason = std::move(reason);
    view.duration = std::chrono::milliseconds(1200);
    return view;
  }
  void TearDown() override { std::fclose(file_); }

  std::FILE* file_ = std::tmpfile();
};

TEST_F(RunProgressTest, BoardRedrawsTheStatusLineAndPrintsFinishedActionsAbove) {
  RunProgress progress(file_, /*board=*/true, /*color=*/false);
  engine::RunSummary run;
  run.id = 7;
  run.workflow = "CI";
  run.commit = "0123456789abcdef";
  run.branch = "main";
  run.actions.resize(3);
  progress.OnRunCreated(run);
  progress.OnActionChanged(View("Build", ActionState::kRunning), 0, 3);
  progress.OnActionChanged(View("Lint", ActionState::kRunning), 0, 3);
  progress.OnActionChanged(View("Lint", ActionState::kSucceeded), 1, 3);
  EXPECT_EQ(Printed(),
            "run 7 of 'CI' at 0123456789ab (main)\n"
            "[0/3] running: Build"
            "\r\x1b[K[0/3] running: Build, Lint"
            "\r\x1b[K✓ Lint 1.2s\n"
            "[1/3] running: Build");
}

TEST_F(RunProgressTest, PlainOutputPrintsOneLinePerChange) {
  RunProgress progress(file_, /*board=*/false, /*color=*/false);
  progress.OnActionChanged(View("Build", ActionState::kFailed, "step 1 (make) exited with code 2"),
                           1, 2);
  std::string printed = Printed();
  EXPECT_EQ(printed.substr(8), " Build failed 1.2s  step 1 (make) exited with code 2\n");
}

TEST_F(RunProgressTest, SummaryTableListsEveryActionAndTheVerdict) {
  engine::RunSummary run;
  run.id = 3;
  run.state = store::RunState::kFailed;
  run.reason = "Test failed";
  run.duration = std::chrono::milliseconds(2500);
  run.actions = {View("Build", ActionState::kSucceeded), View("Test", ActionState::kFailed, "boom"),
                 View("Ship", ActionState::kSkipped, "skipped: depends on Test, which failed")};
  run.actions[1].tests = store::TestCounts{4, 1, 0};
  run.actions[1].log_path = "/s/runs/3/logs/Test.1.log";
  run.actions[1].log_tail = {"last line"};
  EXPECT_EQ(FormatRunSummary(run, false),
            "\nACTION  STATE            TIME  TESTS / REASON\n"
            "Build   succeeded        1.2s\n"
            "Test    failed           1.2s  4 passed, 1 failed, 0 skipped; boom\n"
            "Ship    skipped                skipped: depends on Test, which failed\n"
            "\n--- Test: last lines of /s/runs/3/logs/Test.1.log\nlast line\n"
            "\nrun 3 failed: Test failed in 2.5s\n");
}

TEST_F(RunProgressTest, DurationsReadNaturally) {
  EXPECT_EQ(FormatDuration(std::chrono::milliseconds(340)), "340ms");
  EXPECT_EQ(FormatDuration(std::chrono::milliseconds(1250)), "1.2s");
  EXPECT_EQ(FormatDuration(std::chrono::milliseconds(125'000)), "2m05s");
}

}  // namespace
}  // namespace lockstep::cli
