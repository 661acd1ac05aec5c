#include "exec/sandbox.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>

#include "exec/exec_test_util.h"
#include "exec/subprocess_set.h"
#include "exec/unique_fd.h"
#include "temp_dir.h"

namespace lockstep::exec {
namespace {

using ::lockstep::exec::testing::RecordingSink;
using ::lockstep::exec::testing::ShellSpec;
using ::lockstep::exec::testing::WaitFor;

TEST(SandboxCommandTest, BindsWritablePathsAfterThePrivateTmp) {
  ::lockstep::testing::TempDir dir;
  std::filesystem::create_directories(dir.path() / "work/out");
  std::filesystem::create_directories(dir.path() / "cache");
  SandboxSpec sandbox{
      .enabled = true,
      .network = false,
      .writable = {dir.path() / "work/out", dir.path() / "cache/", dir.path() / "work"}};
  Result<std::vector<std::string>> argv =
      SandboxCommand("/usr/bin/bwrap", sandbox, dir.path() / "work", {"/bin/echo", "hi"});
  ASSERT_TRUE(argv.has_value()) << argv.error().ToString();
  std::string root = dir.path().string();
  EXPECT_EQ(*argv, (std::vector<std::string>{"/usr/bin/bwrap",
                                             "--die-with-parent",
                                             "--unshare-all",
                                             "--ro-bind",
                                             "/",
                                             "/",
                                             "--dev",
                                             "/dev",
                                             "--proc",
                                             "/proc",
                                             "--tmpfs",
                                             "/tmp",
                                             "--bind",
                                             root + "/cache",
                                             root + "/cache",
                                             "--bind",
                                             root + "/work",
                                             root + "/work",
                                             "--bind",
                                             root + "/work/out",
                                             root + "/work/out",
                                             "--chdir",
                                             root + "/work",
                                             "--",
                                             "/bin/echo",
                                             "hi"}));
}

TEST(SandboxCommandTest, SharesTheNetworkAndBindsAWorkingDirectoryUnderTmp) {
  SandboxSpec sandbox{.enabled = true, .network = true, .writable = {}};
  Result<std::vector<std::string>> argv =
      SandboxCommand("/usr/bin/bwrap", sandbox, "/tmp/../tmp/x", {"/bin/true"});
  ASSERT_TRUE(argv.has_value());
  EXPECT_EQ(*argv, (std::vector<std::string>{"/usr/bin/bwrap",
                                             "--die-with-parent",
                                             "--unshare-all",
                                             "--share-net",
                                             "--ro-bind",
                                             "/",
                                             "/",
                                             "--dev",
                                             "/dev",
                                             "--proc",
                                             "/proc",
                                             "--tmpfs",
                                             "/tmp",
                                             "--ro-bind",
                                             "/tmp/x",
                                             "/tmp/x",
                                             "--chdir",
                                             "/tmp/x",
                                             "--",
                                             "/bin/true"}));
}

TEST(SandboxCommandTest, RejectsAMissingWritablePath) {
  SandboxSpec sandbox{.enabled = true, .network = false, .writable = {"/no/such/dir"}};
  Result<std::vector<std::string>> argv =
      SandboxCommand("/usr/bin/bwrap", sandbox, "/", {"/bin/true"});
  ASSERT_FALSE(argv.has_value());
  EXPECT_EQ(argv.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(argv.error().message(), "sandbox writable path '/no/such/dir' does not exist");
}

TEST(SandboxCommandTest, MissingBubblewrapIsUnavailable) {
  const char* old = std::getenv("LOCKSTEP_BWRAP");
  std::optional<std::string> saved = old ? std::optional<std::string>(old) : std::nullopt;
  ::setenv("LOCKSTEP_BWRAP", "/nonexistent/bwrap", 1);
  ::lockstep::testing::TempDir dir;
  ProcessSpec spec = ShellSpec("true", dir.path());
  spec.sandbox.enabled = true;
  SubprocessSet set;
  RecordingSink sink;
  Result<ProcessId> id = set.Start(spec, sink);
  if (saved) {
    ::setenv("LOCKSTEP_BWRAP", saved->c_str(), 1);
  } else {
    ::unsetenv("LOCKSTEP_BWRAP");
  }
  ASSERT_FALSE(id.has_value());
  EXPECT_EQ(id.error().code(), ErrorCode::kUnavailable);
  EXPECT_EQ(id.error().message(),
            "the sandbox needs bubblewrap (bwrap), which is not installed; install it with: "
            "apt-get install bubblewrap");
}

// Runs scripts in a real bubblewrap sandbox whose workspace is a temporary directory.
class SandboxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!FindBubblewrap()) GTEST_SKIP() << "bubblewrap (bwrap) is not installed";
    std::filesystem::create_directory(dir_.path() / "work");
  }

  std::vector<std::string> RunSandboxed(const std::string& script, bool network = false) {
    ProcessSpec spec = ShellSpec(script, dir_.path() / "work");
    spec.sandbox = {.enabled = true, .network = network, .writable = {dir_.path() / "work"}};
    RecordingSink sink;
    Result<ProcessId> id = set_.Start(spec, sink);
    EXPECT_TRUE(id.has_value()) << id.error().ToString();
    if (!id) return {};
    std::optional<ProcessResult> result = WaitFor(set_, *id);
    EXPECT_TRUE(result && result->exit_code == 0) << (result ? result->Describe() : "");
    return sink.Texts();
  }

  ::lockstep::testing::TempDir dir_;
  SubprocessSet set_;
};

TEST_F(SandboxTest, WritesInsideTheWorkspaceOnly) {
  // Outside /tmp, which the sandbox replaces: a place the host could write.
  std::string pattern = "/var/tmp/lockstep-sandbox-XXXXXX";
  ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
  std::filesystem::path outside = pattern;
  std::vector<std::string> lines =
      RunSandboxed("echo in > inside && echo inside ok; (echo out > " + outside.string() +
                   "/file) 2>/dev/null || echo outside failed");
  bool outside_written = std::filesystem::exists(outside / "file");
  std::filesystem::remove_all(outside);
  EXPECT_EQ(lines, (std::vector<std::string>{"out: inside ok", "out: outside failed"}));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() / "work/inside"));
  EXPECT_FALSE(outside_written);
}

TEST_F(SandboxTest, TmpIsPrivate) {
  dir_.Write("host-only", "x");
  std::string name = "lockstep-sandbox-private-" + std::to_string(::getpid());
  std::vector<std::string> lines =
      RunSandboxed("test -e " + (dir_.path() / "host-only").string() +
                   " && echo host visible; echo x > /tmp/" + name + " && echo wrote");
  EXPECT_EQ(lines, (std::vector<std::string>{"out: wrote"}));
  EXPECT_FALSE(std::filesystem::exists("/tmp/" + name));
}

TEST_F(SandboxTest, HasNoNetworkUnlessAsked) {
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(listener.valid());
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ASSERT_EQ(::listen(listener.get(), 4), 0);
  socklen_t length = sizeof address;
  ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  std::string connect = "bash -c '(exec 3<>/dev/tcp/127.0.0.1/" +
                        std::to_string(ntohs(address.sin_port)) +
                        ") 2>/dev/null && echo connected || echo no network'";
  EXPECT_EQ(RunSandboxed(connect), (std::vector<std::string>{"out: no network"}));
  EXPECT_EQ(RunSandboxed(connect, /*network=*/true), (std::vector<std::string>{"out: connected"}));
}

TEST_F(SandboxTest, TimeoutKillsTheSandbox) {
  ProcessSpec spec = ShellSpec("", dir_.path() / "work");
  spec.argv = {"sleep", "100"};
  spec.timeout = std::chrono::milliseconds(50);
  spec.sandbox = {.enabled = true, .network = false, .writable = {}};
  RecordingSink sink;
  Result<ProcessId> id = set_.Start(spec, sink);
  ASSERT_TRUE(id.has_value());
  std::optional<ProcessResult> result = WaitFor(set_, *id);
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->timed_out);
}

}  // namespace
}  // namespace lockstep::exec
