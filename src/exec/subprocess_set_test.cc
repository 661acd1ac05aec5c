#include "exec/subprocess_set.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>

#include "exec/environment.h"
#include "exec/exec_test_util.h"
#include "exec/proc_stat.h"
#include "temp_dir.h"

namespace lockstep::exec {
namespace {

using ::lockstep::exec::testing::Eventually;
using ::lockstep::exec::testing::RecordingSink;
using ::lockstep::exec::testing::ShellSpec;
using ::lockstep::exec::testing::WaitFor;
using std::chrono::milliseconds;

class SubprocessSetTest : public ::testing::Test {
 protected:
  // Runs `spec` to the end; the lines land in sink_.
  ProcessResult Run(const ProcessSpec& spec) {
    Result<ProcessId> id = set_.Start(spec, sink_);
    EXPECT_TRUE(id.has_value()) << id.error().ToString();
    if (!id) return {};
    std::optional<ProcessResult> result = WaitFor(set_, *id);
    return result.value_or(ProcessResult{});
  }
  ProcessResult RunShell(const std::string& script) { return Run(ShellSpec(script, dir_.path())); }

  ::lockstep::testing::TempDir dir_;
  SubprocessSet set_;
  RecordingSink sink_;
};

ResourceLimits NoLimits() {
  ResourceLimits limits;  // `= {}` would keep the default open_files limit
  limits.open_files.reset();
  return limits;
}

std::vector<std::string> Sorted(std::vector<std::string> items) {
  std::sort(items.begin(), items.end());
  return items;
}

TEST_F(SubprocessSetTest, ReportsTheExitCode) {
  ProcessResult result = RunShell("exit 3");
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_EQ(result.term_signal, std::nullopt);
  EXPECT_FALSE(result.succeeded());
  EXPECT_EQ(result.Describe(), "exited with code 3");
  EXPECT_LE(result.started, result.finished);
  EXPECT_EQ(set_.running(), 0u);
}

TEST_F(SubprocessSetTest, ReportsTheSignalThatEndedTheProcess) {
  ProcessResult result = RunShell("kill -9 $$");
  EXPECT_EQ(result.exit_code, std::nullopt);
  EXPECT_EQ(result.term_signal, SIGKILL);
  EXPECT_EQ(result.Describe(), "killed by signal 9 (Killed)");
}

TEST_F(SubprocessSetTest, DeliversStdoutAndStderrLinesInTheOrderTheyWereRead) {
  // The child writes each line only after the test has read the one before (it waits for a
  // file the sink creates), so the read order is fixed.
  sink_.on_line = [&](const OutputLine& line) {
    std::ofstream(dir_.path() / ("seen-" + line.text)).put('x');
  };
  ProcessResult result = RunShell(
      "echo a; until [ -e seen-a ]; do sleep 0.001; done; "
      "echo b >&2; until [ -e seen-b ]; do sleep 0.001; done; echo c");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"out: a", "err: b", "out: c"}));
  ASSERT_EQ(sink_.lines.size(), 3u);
  EXPECT_LE(sink_.lines[0].time, sink_.lines[1].time);
  EXPECT_LE(sink_.lines[1].time, sink_.lines[2].time);
}

TEST_F(SubprocessSetTest, DeliversAnUnterminatedLastLineAndEmptyLines) {
  RunShell("printf 'a\\n\\nb'");
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"out: a", "out: ", "out: b"}));
}

TEST_F(SubprocessSetTest, PassesExactlyTheGivenEnvironment) {
  // Default limits: this runs through the sh wrapper, which must not add PWD or rewrite the
  // variables dash manages.
  ProcessSpec spec;
  spec.argv = {"env"};
  spec.environment = {"PATH=/usr/bin:/bin", "HOME=/nowhere", "EMPTY=", "IFS=x",
                      "OPTIND=7",           "QUOTE=it's"};
  spec.working_directory = dir_.path();
  ASSERT_TRUE(spec.limits.open_files.has_value());
  EXPECT_EQ(Run(spec).exit_code, 0);
  std::vector<std::string> expected;
  for (const std::string& entry : spec.environment) expected.push_back("out: " + entry);
  EXPECT_EQ(Sorted(sink_.Texts()), Sorted(expected));
}

TEST_F(SubprocessSetTest, PassesNamesThatAreNotShellIdentifiersThroughTheLimitsWrapper) {
  ProcessSpec spec;
  spec.argv = {"env"};
  spec.environment = {"PATH=/usr/bin:/bin", "a.b=1", "A-B=2"};
  spec.working_directory = dir_.path();
  EXPECT_EQ(Run(spec).exit_code, 0);
  EXPECT_EQ(sink_.Texts(),
            (std::vector<std::string>{"out: PATH=/usr/bin:/bin", "out: a.b=1", "out: A-B=2"}));
}

TEST_F(SubprocessSetTest, RunsTheProgramDirectlyWhenNoLimitIsSet) {
  ProcessSpec spec = ShellSpec("ulimit -n; echo $0", dir_.path());
  spec.limits = NoLimits();
  EXPECT_EQ(Run(spec).exit_code, 0);
  struct rlimit own {};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &own), 0);
  // argv[0] as given: no wrapper replaced it with a path.
  EXPECT_EQ(sink_.Texts(),
            (std::vector<std::string>{"out: " + std::to_string(own.rlim_cur), "out: sh"}));
}

TEST_F(SubprocessSetTest, AppliesResourceLimits) {
  ProcessSpec spec = ShellSpec("ulimit -n; ulimit -t; ulimit -v", dir_.path());
  spec.limits.open_files = 123;
  spec.limits.cpu_seconds = 60;
  spec.limits.address_space_bytes = uint64_t{8} << 30;
  EXPECT_EQ(Run(spec).exit_code, 0);
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"out: 123", "out: 60", "out: 8388608"}));
}

TEST_F(SubprocessSetTest, FileSizeLimitMakesALargeWriteFail) {
  ProcessSpec spec = ShellSpec("head -c 100000 /dev/zero > big; echo $?", dir_.path());
  spec.limits.file_size_bytes = 8192;
  EXPECT_EQ(Run(spec).exit_code, 0);
  // head is killed by SIGXFSZ (25) when it writes past the limit.
  // Written to two pipes by one process: either may be read first.
  EXPECT_EQ(Sorted(sink_.Texts()),
            (std::vector<std::string>{"err: File size limit exceeded", "out: 153"}));
  EXPECT_EQ(std::filesystem::file_size(dir_.path() / "big"), 8192u);
}

TEST_F(SubprocessSetTest, RunsInTheWorkingDirectoryWithStdinFromDevNull) {
  std::filesystem::create_directory(dir_.path() / "sub");
  RunShell("cd sub && pwd -P && readlink /proc/self/fd/0");
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{
                               "out: " + std::filesystem::canonical(dir_.path() / "sub").string(),
                               "out: /dev/null"}));
}

TEST_F(SubprocessSetTest, StartsWithDefaultSignalDispositionsAndAnEmptyMask) {
  struct sigaction ignore {
  }, previous_pipe{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous_pipe);
  sigset_t block, previous_mask;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR2);
  ::sigprocmask(SIG_BLOCK, &block, &previous_mask);
  ProcessSpec spec;
  spec.argv = {"cat", "/proc/self/status"};
  spec.environment = CleanEnvironment({});
  spec.working_directory = dir_.path();
  ProcessResult result = Run(spec);
  ::sigprocmask(SIG_SETMASK, &previous_mask, nullptr);
  ::sigaction(SIGPIPE, &previous_pipe, nullptr);
  EXPECT_EQ(result.exit_code, 0);
  std::optional<uint64_t> blocked, ignored;
  for (const std::string& text : sink_.Texts()) {
    if (text.starts_with("out: SigBlk:\t")) blocked = std::stoull(text.substr(13), nullptr, 16);
    if (text.starts_with("out: SigIgn:\t")) ignored = std::stoull(text.substr(13), nullptr, 16);
  }
  EXPECT_EQ(blocked, 0u);
  // Signals 1-31; glibc's posix_spawn leaves its two internal signals (32, 33) ignored,
  // which only non-glibc programs could notice.
  ASSERT_TRUE(ignored.has_value());
  EXPECT_EQ(*ignored & 0x7fffffffu, 0u);
}

TEST_F(SubprocessSetTest, LooksTheProgramUpInThePathOfItsEnvironment) {
  dir_.Write("bin/hello", "#!/bin/sh\necho hello from $0\n");
  std::filesystem::permissions(dir_.path() / "bin/hello", std::filesystem::perms::owner_all);
  ProcessSpec spec;
  spec.argv = {"hello"};
  spec.environment = {"PATH=/nonexistent:bin"};
  spec.working_directory = dir_.path();
  spec.limits = NoLimits();
  EXPECT_EQ(Run(spec).exit_code, 0);
  EXPECT_EQ(sink_.Texts(),
            (std::vector<std::string>{"out: hello from " + (dir_.path() / "bin/hello").string()}));
}

TEST_F(SubprocessSetTest, FailsWhenTheProgramIsMissing) {
  ProcessSpec spec = ShellSpec("", dir_.path());
  spec.argv = {"no-such-program-here"};
  Result<ProcessId> id = set_.Start(spec, sink_);
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(id.error().message(), "program 'no-such-program-here' not found in PATH");
  EXPECT_EQ(set_.running(), 0u);

  spec.argv = {"./missing.sh"};
  id = set_.Start(spec, sink_);
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().message(), "program './missing.sh' not found");
}

TEST_F(SubprocessSetTest, FailsWhenTheWorkingDirectoryIsMissing) {
  std::filesystem::path missing = dir_.path() / "missing";
  Result<ProcessId> id = set_.Start(ShellSpec("true", missing), sink_);
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(id.error().message(), "working directory '" + missing.string() + "' does not exist");
}

TEST_F(SubprocessSetTest, TimeoutTerminatesTheProcess) {
  ProcessSpec spec = ShellSpec("", dir_.path());
  spec.argv = {"sleep", "100"};
  spec.timeout = milliseconds(50);
  auto begin = std::chrono::steady_clock::now();
  ProcessResult result = Run(spec);
  EXPECT_TRUE(result.timed_out);
  EXPECT_FALSE(result.cancelled);
  EXPECT_EQ(result.term_signal, SIGTERM);
  EXPECT_EQ(result.Describe(), "timed out after 50ms");
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(5));
}

TEST_F(SubprocessSetTest, CancelKillsAProcessThatIgnoresSigterm) {
  ProcessSpec spec = ShellSpec("trap '' TERM; echo ready; exec sleep 100", dir_.path());
  spec.kill_grace = milliseconds(50);
  Result<ProcessId> id = set_.Start(spec, sink_);
  ASSERT_TRUE(id.has_value());
  sink_.on_line = [&](const OutputLine& line) {
    if (line.text == "ready") set_.Cancel(*id);
  };
  std::optional<ProcessResult> result = WaitFor(set_, *id);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->cancelled);
  EXPECT_EQ(result->term_signal, SIGKILL);
  EXPECT_EQ(result->Describe(), "cancelled");
}

TEST_F(SubprocessSetTest, CancelAllStopsEveryProcess) {
  ProcessSpec spec = ShellSpec("", dir_.path());
  spec.argv = {"sleep", "100"};
  ASSERT_TRUE(set_.Start(spec, sink_).has_value());
  ASSERT_TRUE(set_.Start(spec, sink_).has_value());
  EXPECT_EQ(set_.running(), 2u);
  set_.CancelAll();
  for (int i = 0; i < 2; ++i) {
    std::optional<ProcessFinished> finished =
        set_.WaitForEvent(std::chrono::steady_clock::now() + std::chrono::seconds(10));
    ASSERT_TRUE(finished.has_value());
    EXPECT_TRUE(finished->result.cancelled);
    EXPECT_EQ(finished->result.term_signal, SIGTERM);
  }
  EXPECT_EQ(set_.running(), 0u);
}

TEST_F(SubprocessSetTest, EachProcessLeadsItsOwnProcessGroup) {
  ProcessSpec spec = ShellSpec("", dir_.path());
  spec.argv = {"sleep", "100"};
  Result<ProcessId> id = set_.Start(spec, sink_);
  ASSERT_TRUE(id.has_value());
  int pgid = set_.ProcessGroup(*id);
  ASSERT_GT(pgid, 0);
  std::optional<ProcStat> stat = ReadProcStat(pgid);
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->process_group, pgid);
  EXPECT_EQ(set_.ProcessGroup(*id + 1), 0);
  set_.Cancel(*id);
  EXPECT_TRUE(WaitFor(set_, *id).has_value());
}

TEST_F(SubprocessSetTest, KillsWhatTheLeaderLeftInItsGroup) {
  int daemon = 0;
  uint64_t daemon_start = 0;
  sink_.on_line = [&](const OutputLine& line) {
    daemon = std::stoi(line.text);
    daemon_start = StartTimeOf(daemon);
    std::ofstream(dir_.path() / "seen").put('x');
  };
  // The daemon's output goes elsewhere, so the pipes close when the leader exits; the leader
  // waits until the test has recorded the daemon.
  ProcessResult result =
      RunShell("sleep 100 >/dev/null 2>&1 & echo $!; until [ -e seen ]; do sleep 0.001; done");
  EXPECT_EQ(result.exit_code, 0);
  ASSERT_GT(daemon, 0);
  ASSERT_NE(daemon_start, 0u);
  EXPECT_TRUE(Eventually([&] { return !ProcessIsAlive(daemon, daemon_start); }));
}

TEST_F(SubprocessSetTest, StopsReadingWhenAProcessOutsideTheGroupHoldsThePipes) {
  int escaped = 0;
  sink_.on_line = [&](const OutputLine& line) {
    if (line.stream == Stream::kStdout) escaped = std::stoi(line.text);
  };
  auto begin = std::chrono::steady_clock::now();
  // The leader exits only once the other process has left the group (else the group kill
  // would catch it first).
  ProcessResult result = RunShell(
      "setsid sh -c 'echo $$ > escaped; exec sleep 100' & "
      "until [ -s escaped ]; do sleep 0.001; done; cat escaped");
  auto elapsed = std::chrono::steady_clock::now() - begin;
  ASSERT_GT(escaped, 0);
  ::kill(escaped, SIGKILL);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_GE(elapsed, milliseconds(900));
  EXPECT_LT(elapsed, std::chrono::seconds(5));
  ASSERT_EQ(sink_.Texts().size(), 2u);
  EXPECT_EQ(sink_.Texts()[1],
            "note: stopped reading output 1s after the process exited: a process that left "
            "its process group still holds the output pipes");
}

TEST_F(SubprocessSetTest, CapsOutputAndSaysHowMuchWasDropped) {
  ProcessSpec spec = ShellSpec("head -c 200000000 /dev/zero", dir_.path());
  spec.max_output_bytes = 1 << 20;
  ProcessResult result = Run(spec);
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output_bytes, 200000000u);
  EXPECT_EQ(result.dropped_bytes, 200000000u - (1u << 20));
  // No newline in the kept megabyte: it arrives as 16 lines of 64 KiB.
  ASSERT_EQ(sink_.lines.size(), 17u);
  for (size_t i = 0; i < 16; ++i) EXPECT_EQ(sink_.lines[i].text, std::string(65536, '\0'));
  EXPECT_EQ(sink_.Texts().back(), "note: output truncated: 200000000 bytes written, 1048576 kept");
}

TEST_F(SubprocessSetTest, MasksASecretSplitAcrossTwoWrites) {
  ProcessSpec spec = ShellSpec("printf 'the sec'; sleep 0.05; printf 'ret is out\\n'", dir_.path());
  spec.secrets = {"secret", ""};
  Run(spec);
  EXPECT_EQ(sink_.Texts(), (std::vector<std::string>{"out: the *** is out"}));
}

TEST_F(SubprocessSetTest, WaitForEventReturnsAtTheDeadline) {
  ProcessSpec spec = ShellSpec("", dir_.path());
  spec.argv = {"sleep", "100"};
  Result<ProcessId> id = set_.Start(spec, sink_);
  ASSERT_TRUE(id.has_value());
  EXPECT_EQ(set_.WaitForEvent(std::chrono::steady_clock::now() + milliseconds(20)), std::nullopt);
  EXPECT_EQ(set_.running(), 1u);
  EXPECT_FALSE(set_.interrupted());
  set_.Cancel(*id);
  EXPECT_TRUE(WaitFor(set_, *id).has_value());
}

TEST_F(SubprocessSetTest, InterruptReturnsFromWaitForEventOnce) {
  ProcessSpec spec = ShellSpec("", dir_.path());
  spec.argv = {"sleep", "100"};
  Result<ProcessId> id = set_.Start(spec, sink_);
  ASSERT_TRUE(id.has_value());
  ::raise(SIGINT);
  EXPECT_EQ(set_.WaitForEvent(), std::nullopt);
  EXPECT_TRUE(set_.interrupted());
  EXPECT_EQ(set_.interrupt_signal(), SIGINT);
  // The child, in its own group, is untouched; stopping it is the caller's decision.
  EXPECT_EQ(set_.running(), 1u);
  set_.CancelAll();
  std::optional<ProcessResult> result = WaitFor(set_, *id);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->cancelled);
  EXPECT_TRUE(set_.interrupted());
  // A later signal is reported again.
  ::raise(SIGTERM);
  EXPECT_EQ(set_.WaitForEvent(), std::nullopt);
  EXPECT_EQ(set_.interrupt_signal(), SIGTERM);
}

TEST_F(SubprocessSetTest, DestructionKillsWhatIsStillRunning) {
  int pid = 0;
  uint64_t start = 0;
  {
    SubprocessSet set;
    ProcessSpec spec = ShellSpec("", dir_.path());
    spec.argv = {"sleep", "100"};
    Result<ProcessId> id = set.Start(spec, sink_);
    ASSERT_TRUE(id.has_value());
    pid = set.ProcessGroup(*id);
    start = StartTimeOf(pid);
    ASSERT_TRUE(ProcessIsAlive(pid, start));
  }
  EXPECT_FALSE(ProcessIsAlive(pid, start));
}

TEST(SubprocessSetSignalsTest, RestoresThePreviousHandlers) {
  struct sigaction mine {
  }, previous{}, now{};
  mine.sa_handler = SIG_IGN;
  ::sigaction(SIGHUP, &mine, &previous);
  {
    SubprocessSet set;
    ::sigaction(SIGHUP, nullptr, &now);
    EXPECT_NE(now.sa_handler, SIG_IGN);
  }
  ::sigaction(SIGHUP, &previous, &now);
  EXPECT_EQ(now.sa_handler, SIG_IGN);
}

}  // namespace
}  // namespace lockstep::exec
