#include "run_binary.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace lockstep::testing {
namespace {

std::string ReadAll(int fd) {
  std::string data;
  char buffer[4096];
  for (;;) {
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    data.append(buffer, static_cast<size_t>(n));
  }
  return data;
}

}  // namespace

std::vector<std::string> TestEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> environment = {"PATH=/usr/bin:/bin", "HOME=/tmp", "TERM=xterm"};
  environment.insert(environment.end(), extra.begin(), extra.end());
  if (const char* asan = std::getenv("ASAN_OPTIONS"))
    environment.push_back(std::string("ASAN_OPTIONS=") + asan);
  return environment;
}

std::vector<char*> CStrings(std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (std::string& text : strings) pointers.push_back(text.data());
  pointers.push_back(nullptr);
  return pointers;
}

CommandOutput RunLockstep(const std::vector<std::string>& arguments,
                          const std::filesystem::path& directory,
                          const std::vector<std::string>& environment) {
  std::vector<std::string> argv = {LOCKSTEP_BINARY};
  argv.insert(argv.end(), arguments.begin(), arguments.end());
  return RunProgram(argv, directory, environment);
}

CommandOutput RunProgram(const std::vector<std::string>& arguments,
                         const std::filesystem::path& directory,
                         const std::vector<std::string>& environment) {
  CommandOutput output;
  // Standard error goes to a temporary file so that neither pipe can fill up and block.
  char err_path[] = "/tmp/lockstep-stderr-XXXXXX";
  int err_fd = ::mkstemp(err_path);
  int out_pipe[2];
  if (err_fd < 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "cannot create pipes";
    return output;
  }
  std::vector<std::string> argv_storage = arguments;
  std::vector<char*> argv = CStrings(argv_storage);
  std::vector<std::string> env_storage = TestEnvironment(environment);
  std::vector<char*> envp = CStrings(env_storage);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, err_fd, STDERR_FILENO);
  posix_spawn_file_actions_addchdir_np(&actions, directory.c_str());
  pid_t pid = 0;
  int spawn_error = ::posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(out_pipe[1]);
  if (spawn_error != 0) {
    ADD_FAILURE() << "cannot start " << argv[0];
    ::close(out_pipe[0]);
    ::close(err_fd);
    return output;
  }
  output.out = ReadAll(out_pipe[0]);
  ::close(out_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  output.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  ::lseek(err_fd, 0, SEEK_SET);
  output.err = ReadAll(err_fd);
  ::close(err_fd);
  ::unlink(err_path);
  return output;
}

}  // namespace lockstep::testing
