#include "exec/process.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include "exec/exec_test_util.h"
#include "exec/proc_stat.h"
#include "exec/subprocess_set.h"
#include "temp_dir.h"

namespace lockstep::exec {
namespace {

using ::lockstep::exec::testing::RecordingSink;
using ::lockstep::exec::testing::ShellSpec;
using ::lockstep::exec::testing::WaitFor;
using std::chrono::milliseconds;

TEST(ProcessResultTest, DescribesHowTheProcessEnded) {
  ProcessResult result;
  result.exit_code = 0;
  EXPECT_EQ(result.Describe(), "exited with code 0");
  EXPECT_TRUE(result.succeeded());
  result.exit_code.reset();
  result.term_signal = SIGSEGV;
  EXPECT_EQ(result.Describe(), "killed by signal 11 (Segmentation fault)");
  result.cancelled = true;
  EXPECT_EQ(result.Describe(), "cancelled");
  result.timed_out = true;
  result.timeout = std::chrono::minutes(2);
  EXPECT_EQ(result.Describe(), "timed out after 2m");
  result.timeout = milliseconds(90'000);
  EXPECT_EQ(result.Describe(), "timed out after 90s");
  result.timeout = milliseconds(1500);
  EXPECT_EQ(result.Describe(), "timed out after 1500ms");
  result.timeout = std::chrono::hours(1);
  EXPECT_EQ(result.Describe(), "timed out after 1h");
}

TEST(ProcStatTest, ReadsFieldsAfterTheLastParenthesis) {
  std::string stat =
      "4242 (a) b (c) S 1 4200 4200 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1234 56";
  std::optional<ProcStat> parsed = ParseProcStat(stat);
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(parsed->state, 'S');
  EXPECT_EQ(parsed->process_group, 4200);
  EXPECT_EQ(parsed->start_time, 987654u);
  EXPECT_EQ(ParseProcStat("4242 (sh S 1 2"), std::nullopt);
  EXPECT_EQ(ParseProcStat("4242 (sh) S 1 2 3"), std::nullopt);
}

class ProcessLivenessTest : public ::testing::Test {
 protected:
  ::lockstep::testing::TempDir dir_;
  SubprocessSet set_;
  RecordingSink sink_;
};

TEST_F(ProcessLivenessTest, KnowsALiveProcessByItsStartTime) {
  uint64_t start = StartTimeOf(::getpid());
  ASSERT_NE(start, 0u);
  EXPECT_TRUE(ProcessIsAlive(::getpid(), start));
  EXPECT_FALSE(ProcessIsAlive(::getpid(), start + 1));
  EXPECT_FALSE(ProcessIsAlive(::getpid(), 0));
  EXPECT_EQ(StartTimeOf(-5), 0u);
}

TEST_F(ProcessLivenessTest, AReapedProcessIsNotAlive) {
  ProcessSpec spec = ShellSpec("", dir_.path());
  spec.argv = {"sleep", "100"};
  Result<ProcessId> id = set_.Start(spec, sink_);
  ASSERT_TRUE(id.has_value());
  int pid = set_.ProcessGroup(*id);
  uint64_t start = StartTimeOf(pid);
  ASSERT_NE(start, 0u);
  EXPECT_TRUE(ProcessIsAlive(pid, start));
  set_.Cancel(*id);
  ASSERT_TRUE(WaitFor(set_, *id).has_value());
  EXPECT_FALSE(ProcessIsAlive(pid, start));
  EXPECT_EQ(StartTimeOf(pid), 0u);
}

TEST_F(ProcessLivenessTest, KillProcessGroupTerminatesTheGroup) {
  ProcessSpec spec = ShellSpec("", dir_.path());
  spec.argv = {"sleep", "100"};
  Result<ProcessId> id = set_.Start(spec, sink_);
  ASSERT_TRUE(id.has_value());
  EXPECT_TRUE(KillProcessGroup(set_.ProcessGroup(*id), milliseconds(2000)));
  std::optional<ProcessResult> result = WaitFor(set_, *id);
  ASSERT_TRUE(result.has_value());
  EXPECT_EQ(result->term_signal, SIGTERM);
}

TEST_F(ProcessLivenessTest, KillProcessGroupEscalatesToSigkill) {
  ProcessSpec spec = ShellSpec("trap '' TERM; echo ready; exec sleep 100", dir_.path());
  Result<ProcessId> id = set_.Start(spec, sink_);
  ASSERT_TRUE(id.has_value());
  int pgid = set_.ProcessGroup(*id);
  bool killed = false;
  sink_.on_line = [&](const OutputLine&) { killed = KillProcessGroup(pgid, milliseconds(50)); };
  std::optional<ProcessResult> result = WaitFor(set_, *id);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(killed);
  EXPECT_EQ(result->term_signal, SIGKILL);
}

TEST_F(ProcessLivenessTest, KillProcessGroupReportsAGoneGroup) {
  ProcessSpec spec = ShellSpec("true", dir_.path());
  Result<ProcessId> id = set_.Start(spec, sink_);
  ASSERT_TRUE(id.has_value());
  int pgid = set_.ProcessGroup(*id);
  ASSERT_TRUE(WaitFor(set_, *id).has_value());
  EXPECT_FALSE(KillProcessGroup(pgid, milliseconds(50)));
  EXPECT_FALSE(KillProcessGroup(0, milliseconds(50)));
  EXPECT_FALSE(KillProcessGroup(::getpgrp(), milliseconds(50)));
}

}  // namespace
}  // namespace lockstep::exec
