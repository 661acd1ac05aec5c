#include "background_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

namespace lockstep::testing {
namespace {

std::string Slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

BackgroundLockstep::BackgroundLockstep(const std::vector<std::string>& arguments,
                                       const std::filesystem::path& directory,
                                       const std::vector<std::string>& environment) {
  char out_template[] = "/tmp/lockstep-bg-out-XXXXXX";
  char err_template[] = "/tmp/lockstep-bg-err-XXXXXX";
  int out_fd = ::mkstemp(out_template);
  int err_fd = ::mkstemp(err_template);
  out_path_ = out_template;
  err_path_ = err_template;
  std::vector<std::string> argv_storage = {LOCKSTEP_BINARY};
  argv_storage.insert(argv_storage.end(), arguments.begin(), arguments.end());
  std::vector<char*> argv = CStrings(argv_storage);
  std::vector<std::string> env_storage = TestEnvironment(environment);
  std::vector<char*> envp = CStrings(env_storage);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&actions, directory.c_str());
  int error = ::posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_fd);
  ::close(err_fd);
  if (error != 0) {
    ADD_FAILURE() << "cannot start " << argv[0];
    pid_ = -1;
  }
}

BackgroundLockstep::~BackgroundLockstep() {
  if (pid_ > 0 && !reaped_) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
  }
  std::error_code error;
  std::filesystem::remove(out_path_, error);
  std::filesystem::remove(err_path_, error);
}

void BackgroundLockstep::Signal(int signal) const {
  if (pid_ > 0 && !reaped_) ::kill(pid_, signal);
}

CommandOutput BackgroundLockstep::Wait() {
  CommandOutput output;
  if (pid_ > 0 && !reaped_) {
    int status = 0;
    ::waitpid(pid_, &status, 0);
    reaped_ = true;
    output.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  output.out = Slurp(out_path_);
  output.err = Slurp(err_path_);
  return output;
}

std::string BackgroundLockstep::OutputSoFar() const { return Slurp(out_path_); }

bool ProcessIsZombie(pid_t pid) {
  std::string stat = Slurp("/proc/" + std::to_string(pid) + "/stat");
  size_t close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] == 'Z';
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

}  // namespace lockstep::testing
