#include "runtime/handler_process.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <cerrno>

#include "exec/process.h"
#include "exec/spawn_posix.h"
#include "exec/subprocess_set.h"
#include "exec/unique_fd.h"

namespace lockstep::runtime {

namespace net = boost::asio;

// Everything the event loop watches for one process. Pending operations hold it, so it lives
// until the process has ended and its pipes are closed, even after the HandlerProcess is gone.
struct HandlerProcess::Watch : std::enable_shared_from_this<Watch> {
  Watch(net::any_io_executor executor, int pidfd, int out, int err, exec::UniqueFd log,
        uint64_t max_log)
      : process(executor, pidfd),
        stdout_pipe(executor, out),
        stderr_pipe(executor, err),
        log_fd(std::move(log)),
        max_log_bytes(max_log) {}

  void Pump(net::posix::stream_descriptor& pipe, std::shared_ptr<std::array<char, 16384>> buffer) {
    pipe.async_read_some(net::buffer(*buffer),
                         [self = shared_from_this(), &pipe, buffer](
                             const boost::system::error_code& error, size_t bytes) {
                           if (error) return;  // end of output (or the loop stopping)
                           self->Append(buffer->data(), bytes);
                           self->Pump(pipe, buffer);
                         });
  }

  // Appends to the log; output past the limit is read and dropped, so the handler never
  // blocks on a full pipe.
  void Append(const char* data, size_t bytes) {
    if (written >= max_log_bytes || !log_fd.valid()) return;
    size_t allowed = std::min<uint64_t>(bytes, max_log_bytes - written);
    while (allowed > 0) {
      ssize_t n = ::write(log_fd.get(), data, allowed);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;
      written += static_cast<uint64_t>(n);
      data += n;
      allowed -= static_cast<size_t>(n);
    }
  }

  net::posix::stream_descriptor process;  // the pidfd: readable once the process has ended
  net::posix::stream_descriptor stdout_pipe;
  net::posix::stream_descriptor stderr_pipe;
  exec::UniqueFd log_fd;
  uint64_t max_log_bytes;
  uint64_t written = 0;
};

Result<std::shared_ptr<HandlerProcess>> HandlerProcess::Start(net::any_io_executor strand,
                                                              const HandlerLaunch& launch) {
  exec::UniqueFd log(::open(launch.log_file.c_str(),
                            O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!log.valid()) {
    return Fail(ErrorCode::kIoError, fmt::format("cannot open the handler log {}: {}",
                                                 launch.log_file.string(), std::strerror(errno)));
  }
  exec::ProcessSpec spec;
  spec.argv = launch.argv;
  spec.environment = launch.environment;
  spec.working_directory = launch.working_directory;
  Result<exec::SpawnedProcess> spawned = exec::SpawnProcess(spec);
  if (!spawned) return std::unexpected(spawned.error());
  int pid = spawned->pid;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (pidfd < 0) {
    int saved = errno;
    ::kill(-pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return Fail(ErrorCode::kIoError,
                fmt::format("cannot watch handler process {}: {}", pid, std::strerror(saved)));
  }
  std::shared_ptr<HandlerProcess> process(new HandlerProcess(pid, exec::StartTimeOf(pid)));
  auto watch =
      std::make_shared<Watch>(strand, pidfd, spawned->stdout_fd.Release(),
                              spawned->stderr_fd.Release(), std::move(log), launch.max_log_bytes);
  process->watch_ = watch;
  watch->Pump(watch->stdout_pipe, std::make_shared<std::array<char, 16384>>());
  watch->Pump(watch->stderr_pipe, std::make_shared<std::array<char, 16384>>());
  std::weak_ptr<HandlerProcess> weak = process;
  watch->process.async_wait(net::posix::stream_descriptor::wait_read,
                            [watch, weak, pid](const boost::system::error_code& error) {
                              if (error) return;  // the loop is stopping
                              int status = 0;
                              while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
                              }
                              // Children the handler left behind must not keep its port.
                              ::kill(-pid, SIGKILL);
                              if (std::shared_ptr<HandlerProcess> alive = weak.lock()) {
                                alive->OnEnded(status);
                              }
                            });
  return process;
}

HandlerProcess::~HandlerProcess() {
  // Never leave a process behind; the watch reaps it.
  if (running()) ::kill(-pid_, SIGKILL);
}

void HandlerProcess::OnEnded(int wait_status) {
  exec::ProcessResult result;
  if (WIFEXITED(wait_status)) result.exit_code = WEXITSTATUS(wait_status);
  if (WIFSIGNALED(wait_status)) result.term_signal = WTERMSIG(wait_status);
  end_ = result.Describe();
  ended_.Notify();
}

void HandlerProcess::Terminate() {
  if (running()) ::kill(-pid_, SIGTERM);
}

net::awaitable<void> HandlerProcess::Stop(std::chrono::milliseconds grace) {
  if (running()) {
    ::kill(-pid_, SIGTERM);
    bool ended = co_await ended_.Wait(grace);
    if (!ended) {
      ::kill(-pid_, SIGKILL);
      // SIGKILL cannot be ignored; the bound only guards against a process stuck in the kernel.
      ended = co_await ended_.Wait(std::chrono::seconds(10));
    }
  }
}

bool StopLeftoverProcessGroup(int process_group, uint64_t start_time,
                              std::chrono::milliseconds grace) {
  if (process_group <= 1) return false;
  if (exec::ProcessIsAlive(process_group, start_time)) {
    return exec::KillProcessGroup(process_group, grace);
  }
  // The leader is gone. While members it left hold the group, its id cannot be reused, so a
  // group without a live process of that pid is still the handler's: kill what is left. A
  // live process of that pid that started at another time is someone else's.
  if (::kill(process_group, 0) != 0 && errno == ESRCH) ::kill(-process_group, SIGKILL);
  return false;
}

}  // namespace lockstep::runtime
