#include "exec/spawn_posix.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace lockstep::exec {
namespace {

TEST(LimitsScriptTest, NoLimitsNoScript) {
  ResourceLimits none;
  none.open_files.reset();
  EXPECT_EQ(LimitsScript(none, {}), std::nullopt);
}

TEST(LimitsScriptTest, SetsEachLimitInTheUnitsDashUses) {
  ResourceLimits limits{.open_files = 64,
                        .file_size_bytes = 1 << 20,
                        .cpu_seconds = 30,
                        .address_space_bytes = uint64_t{1} << 30};
  EXPECT_EQ(LimitsScript(limits, {"PATH=/bin"}),
            "set -e; ulimit -n 64; ulimit -f 2048; ulimit -t 30; ulimit -v 1048576; unset PWD; "
            "exec \"$@\"");
}

TEST(LimitsScriptTest, PutsBackTheVariablesDashRewrites) {
  EXPECT_EQ(LimitsScript({}, {"PWD=/it's", "IFS=,", "PPID=1"}),
            "set -e; ulimit -n 4096; export PWD='/it'\\''s'; export IFS=','; export PPID='1'; "
            "exec \"$@\"");
}

TEST(LimitsScriptTest, HandsOddNamesToEnv) {
  EXPECT_FALSE(ShellKeepsEnvironment({"a.b=1"}));
  EXPECT_FALSE(ShellKeepsEnvironment({"NOVALUE"}));
  EXPECT_FALSE(ShellKeepsEnvironment({"1A=x"}));
  EXPECT_TRUE(ShellKeepsEnvironment({"_a1=x", "B="}));
  EXPECT_EQ(LimitsScript({}, {"a.b=1"}), "set -e; ulimit -n 4096; exec /usr/bin/env -i \"$@\"");
}

TEST(BuildCommandTest, WrapsTheResolvedProgramInTheLimitsShell) {
  ::lockstep::testing::TempDir dir;
  ProcessSpec spec;
  spec.argv = {"sh", "-c", "echo hi"};
  spec.environment = {"PATH=/usr/bin:/bin"};
  spec.working_directory = dir.path();
  Result<Command> command = BuildCommand(spec);
  ASSERT_TRUE(command.has_value()) << command.error().ToString();
  EXPECT_EQ(command->file, "/bin/sh");
  EXPECT_EQ(command->argv, (std::vector<std::string>{
                               "/bin/sh", "-c", "set -e; ulimit -n 4096; unset PWD; exec \"$@\"",
                               "lockstep", "/usr/bin/sh", "-c", "echo hi"}));
  EXPECT_EQ(command->directory, dir.path());

  // Note: `spec.limits = {}` would keep the default open_files limit.
  spec.limits.open_files.reset();
  command = BuildCommand(spec);
  ASSERT_TRUE(command.has_value());
  EXPECT_EQ(command->file, "/usr/bin/sh");
  EXPECT_EQ(command->argv, spec.argv);
}

TEST(BuildCommandTest, RejectsAnEmptyCommandLine) {
  Result<Command> command = BuildCommand(ProcessSpec{});
  ASSERT_FALSE(command.has_value());
  EXPECT_EQ(command.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(command.error().message(), "no program to run: the command line is empty");
}

}  // namespace
}  // namespace lockstep::exec
