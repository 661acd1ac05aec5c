// Starts processes and waits for them, in the shape of ninja's SubprocessSet: one object owns
// every running child, their pipes, their deadlines and the signal handling, and a single
// WaitForEvent call multiplexes all of it. Not thread-safe: use from one thread.
//
// Every child runs in its own process group (its pid is the group id) with stdin from
// /dev/null. When the group leader exits, the rest of its group is killed with SIGKILL, so a
// daemon a step forked does not outlive the step. While a SubprocessSet exists it catches
// SIGINT, SIGTERM and SIGHUP (restoring the previous handlers when destroyed) and reports
// them as interrupted(); the children, in their own groups, do not see the terminal's signal.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "exec/process.h"

namespace lockstep::exec {

using ProcessId = int64_t;  // lockstep's handle; unique within one SubprocessSet

struct ProcessFinished {
  ProcessId id = 0;
  ProcessResult result;
};

class SubprocessSet {
 public:
  SubprocessSet();
  ~SubprocessSet();  // kills every child still running (SIGKILL to each group) and reaps it
  SubprocessSet(const SubprocessSet&) = delete;
  SubprocessSet& operator=(const SubprocessSet&) = delete;

  // Starts a process. `sink` must outlive the process (until its ProcessFinished is
  // returned). Fails with kNotFound when the program or the working directory does not
  // exist, kUnavailable when a sandbox is asked for and bubblewrap is missing (the message
  // says how to install it), kIoError for other spawn failures. Nothing runs on failure.
  Result<ProcessId> Start(const ProcessSpec& spec, OutputSink& sink);

  // The process group id (= pid) of a running process, for recording; 0 when unknown.
  int ProcessGroup(ProcessId id) const;

  // Waits until a process finishes, a signal interrupts lockstep, or `deadline` passes.
  // Delivers output lines to the sinks meanwhile and enforces timeouts. Returns the finished
  // process, or nullopt on interrupt or deadline. A process is reported finished only after
  // its pipes are drained.
  std::optional<ProcessFinished> WaitForEvent(
      std::optional<std::chrono::steady_clock::time_point> deadline = std::nullopt);

  // Asks a process to stop: SIGTERM to its group, SIGKILL after its kill_grace. It is still
  // reported through WaitForEvent, with `cancelled` set.
  void Cancel(ProcessId id);
  // Cancel for every running process.
  void CancelAll();

  // True once SIGINT, SIGTERM or SIGHUP arrived; the signal number is in interrupt_signal().
  bool interrupted() const;
  int interrupt_signal() const;

  size_t running() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Kills process group `pgid` (SIGTERM, then SIGKILL after `grace` if any member is left).
// Used to clean up after a crashed lockstep. Returns true when the group was alive.
bool KillProcessGroup(int pgid, std::chrono::milliseconds grace);

// Whether process `pid` exists and started at `start_time` (the value StartTimeOf returned
// when it was recorded), so that a recycled pid is not mistaken for it.
bool ProcessIsAlive(int pid, uint64_t start_time);

// Processes whose environment holds exactly the entry `entry` ("NAME=value"), found by
// reading /proc/PID/environ (processes of other users are skipped). lockstep tags every
// action with its run's owner this way, so that after a crash it finds what the dead
// process started even when it never recorded the group, or a daemon left the group.
std::vector<int> FindProcessesWithEnvironment(std::string_view entry);

// Stops every process tagged with `entry` (see above) with its process group: SIGTERM, then
// SIGKILL after `grace`. Returns how many tagged processes were found.
int KillTaggedProcesses(std::string_view entry, std::chrono::milliseconds grace);

// The start time of process `pid` in clock ticks since boot (/proc/PID/stat field 22), or 0.
uint64_t StartTimeOf(int pid);

}  // namespace lockstep::exec
