#include "server/instance.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "temp_dir.h"

namespace lockstep::server {
namespace {

TEST(InstanceTest, OneServerPerStateDirectoryAndTheOthersFindIt) {
  testing::TempDir state;
  EXPECT_EQ(FindServer(state.path()).error().code(), ErrorCode::kUnavailable);
  {
    Result<InstanceLock> lock = InstanceLock::Acquire(state.path());
    ASSERT_TRUE(lock.has_value()) << lock.error().ToString();
    ServerAddress address{"127.0.0.1:7400", "127.0.0.1:8080", ::getpid()};
    ASSERT_TRUE(WriteServerAddress(state.path(), address).has_value());
    // A second server, in another process (flock locks belong to open files, so a second
    // open in this process would conflict too, but a child is what really happens).
    pid_t child = ::fork();
    if (child == 0) {
      Result<InstanceLock> second = InstanceLock::Acquire(state.path());
      bool refused = !second && second.error().code() == ErrorCode::kUnavailable &&
                     second.error().message().find("API on 127.0.0.1:7400") != std::string::npos;
      ::_exit(refused ? 0 : 1);
    }
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a second server was not refused";
    Result<ServerAddress> found = FindServer(state.path());
    ASSERT_TRUE(found.has_value()) << found.error().ToString();
    EXPECT_EQ(*found, address);
    ::unsetenv("LOCKSTEP_URL");
    EXPECT_EQ(ServerUrl(state.path()).value_or(""), "http://127.0.0.1:7400");
    ::setenv("LOCKSTEP_URL", "http://10.0.0.1:9000/", 1);
    EXPECT_EQ(ServerUrl(state.path()).value_or(""), "http://10.0.0.1:9000");
    ::unsetenv("LOCKSTEP_URL");
  }
  // The lock went with the server; its address file alone does not make one.
  Result<ServerAddress> gone = FindServer(state.path());
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().message(),
            "no lockstep serve is running for " + state.path().string() +
                "; start one with `lockstep serve`, or point LOCKSTEP_URL at one");
  EXPECT_TRUE(InstanceLock::Acquire(state.path()).has_value());
}

}  // namespace
}  // namespace lockstep::server
