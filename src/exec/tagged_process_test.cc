// Finding and stopping processes by an environment tag, as crash recovery does.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "exec/environment.h"
#include "exec/exec_test_util.h"
#include "exec/subprocess_set.h"
#include "temp_dir.h"

namespace lockstep::exec {
namespace {

using testing::RecordingSink;
using testing::WaitFor;

class TaggedProcessTest : public ::testing::Test {
 protected:
  std::string tag_ = "LOCKSTEP_OWNER=test:" + std::to_string(::getpid()) + ":" +
                     std::to_string(reinterpret_cast<uintptr_t>(this));
  lockstep::testing::TempDir dir_;
};

TEST_F(TaggedProcessTest, FindsAndStopsEveryProcessWithTheTagEvenOutsideItsGroup) {
  SubprocessSet set;
  RecordingSink sink;
  ProcessSpec spec;
  // The leader, and a daemon that left the group with setsid, both carry the tag.
  spec.argv = {"sh", "-c", "setsid sleep 1000 & echo $!; exec sleep 1000"};
  spec.environment = CleanEnvironment({tag_});
  spec.working_directory = dir_.path();
  auto id = set.Start(spec, sink);
  ASSERT_TRUE(id) << id.error().message();
  // Both must have become `sleep`: a process between fork and exec (the shell's child before
  // setsid runs) is briefly a third tagged process, and one in the middle of exec may not be
  // readable in /proc for an instant.
  auto both_sleeping = [&] {
    std::vector<int> found = FindProcessesWithEnvironment(tag_);
    if (found.size() != 2) return false;
    for (int pid : found) {
      std::ifstream command("/proc/" + std::to_string(pid) + "/comm");
      std::string name;
      if (!std::getline(command, name) || name != "sleep") return false;
    }
    return true;
  };
  ASSERT_TRUE(testing::Eventually(both_sleeping)) << FindProcessesWithEnvironment(tag_).size();
  EXPECT_TRUE(FindProcessesWithEnvironment(tag_ + "x").empty());

  EXPECT_EQ(KillTaggedProcesses(tag_, std::chrono::milliseconds(200)), 2);
  auto result = WaitFor(set, *id);
  ASSERT_TRUE(result);
  EXPECT_TRUE(result->term_signal.has_value());
  EXPECT_TRUE(testing::Eventually([&] { return FindProcessesWithEnvironment(tag_).empty(); }));
}

}  // namespace
}  // namespace lockstep::exec
