// One handler process the supervisor runs: started in its own process group with its output
// appended to a log file, watched for its end through a pidfd on the event loop, and stopped
// as a whole group (SIGTERM, then SIGKILL after a grace period) so that no child it left
// behind keeps the port. Every method runs on the strand given to Start.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/error.h"
#include "runtime/strand_event.h"

namespace lockstep::runtime {

struct HandlerLaunch {
  std::vector<std::string> argv;         // argv[0]: a path, or a name looked up in PATH
  std::vector<std::string> environment;  // complete, "NAME=value"
  std::filesystem::path working_directory;
  std::filesystem::path log_file;               // created or appended to
  uint64_t max_log_bytes = uint64_t{16} << 20;  // beyond it, output is dropped
};

class HandlerProcess {
 public:
  // Starts the process. Fails with the spawn's error (a missing program, a bad directory).
  static Result<std::shared_ptr<HandlerProcess>> Start(boost::asio::any_io_executor strand,
                                                       const HandlerLaunch& launch);
  ~HandlerProcess();
  HandlerProcess(const HandlerProcess&) = delete;
  HandlerProcess& operator=(const HandlerProcess&) = delete;

  int pid() const { return pid_; }  // also the process group
  uint64_t start_time() const { return start_time_; }
  bool running() const { return !ended_.notified(); }
  // "exited with code 1", "killed by signal 9 (SIGKILL)"; empty while running.
  const std::string& end_description() const { return end_; }

  // Waits until the process ends or `timeout` passes; true when it ended.
  boost::asio::awaitable<bool> WaitForEnd(std::chrono::steady_clock::duration timeout) {
    return ended_.Wait(timeout);
  }
  // Sends SIGTERM to the group (it should finish its requests and exit).
  void Terminate();
  // Sends SIGTERM to the group, waits up to `grace` for the leader to end, then SIGKILLs the
  // group. Returns when the process has ended.
  boost::asio::awaitable<void> Stop(std::chrono::milliseconds grace);

 private:
  struct Watch;
  HandlerProcess(int pid, uint64_t start_time) : pid_(pid), start_time_(start_time) {}
  void OnEnded(int wait_status);

  int pid_;
  uint64_t start_time_;
  std::string end_;
  StrandEvent ended_;
  std::shared_ptr<Watch> watch_;  // the pidfd and the output pipes
};

// Stops a process group that a previous server recorded: when `process_group` still runs the
// process that started at `start_time`, SIGTERM to the group, up to `grace` for it to end, then
// SIGKILL. Blocking; for server start-up only. Returns whether a process was found.
bool StopLeftoverProcessGroup(int process_group, uint64_t start_time,
                              std::chrono::milliseconds grace);

}  // namespace lockstep::runtime
