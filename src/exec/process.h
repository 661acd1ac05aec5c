// What a subprocess is asked to be (ProcessSpec) and what became of it (ProcessResult), plus
// the sink its output lines go to. Plain values; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lockstep::exec {

using Clock = std::chrono::system_clock;

// Resource limits applied to the process (and inherited by its children) before the program
// starts. Unset fields leave the limit lockstep itself runs with.
struct ResourceLimits {
  std::optional<uint64_t> open_files = 4096;    // RLIMIT_NOFILE
  std::optional<uint64_t> file_size_bytes;      // RLIMIT_FSIZE, per file written
  std::optional<uint64_t> cpu_seconds;          // RLIMIT_CPU
  std::optional<uint64_t> address_space_bytes;  // RLIMIT_AS (memory)
};

// Runs the process inside bubblewrap: the whole file system read-only, `writable` paths bound
// read-write at the same place, a private /tmp, /dev and /proc, and no network unless
// `network` is set.
struct SandboxSpec {
  bool enabled = false;
  bool network = false;
  std::vector<std::filesystem::path> writable;
};

struct ProcessSpec {
  // argv[0] is a program name looked up in the PATH of `environment`, or a path.
  std::vector<std::string> argv;
  // The complete environment, "NAME=value" entries; nothing else is inherited.
  std::vector<std::string> environment;
  std::filesystem::path working_directory;  // must exist
  ResourceLimits limits;
  // Wall-clock limit; zero means none. On expiry the process group gets SIGTERM, then
  // SIGKILL after `kill_grace`.
  std::chrono::milliseconds timeout{0};
  std::chrono::milliseconds kill_grace{5000};
  // Bytes of output kept (both streams together); past it output is read and dropped, and
  // one note line says how much was dropped. The process is not stopped.
  uint64_t max_output_bytes = uint64_t{64} << 20;
  // Values replaced by "***" in every line delivered to the sink, also when a value arrives
  // split across two reads of the pipe. Empty values are ignored.
  std::vector<std::string> secrets;
  SandboxSpec sandbox;
};

enum class Stream { kStdout, kStderr, kNote };  // kNote: a line written by lockstep itself

struct OutputLine {
  Stream stream = Stream::kStdout;
  Clock::time_point time;  // when the first byte of the line was read
  std::string text;        // without the newline, secrets already masked
};

// Receives a process's output lines in the order they were read. Called on the thread that
// calls SubprocessSet::WaitForEvent.
class OutputSink {
 public:
  virtual ~OutputSink() = default;
  virtual void OnLine(const OutputLine& line) = 0;
};

struct ProcessResult {
  std::optional<int> exit_code;    // set when the process exited
  std::optional<int> term_signal;  // set when a signal ended it
  bool timed_out = false;          // the timeout fired
  bool cancelled = false;          // SubprocessSet::Cancel or an interrupt stopped it
  uint64_t output_bytes = 0;       // bytes read from the pipes, dropped ones included
  uint64_t dropped_bytes = 0;      // bytes past max_output_bytes
  Clock::time_point started;
  Clock::time_point finished;
  std::chrono::milliseconds timeout{0};  // the spec's timeout, for Describe()

  bool succeeded() const { return exit_code == 0 && !timed_out && !cancelled; }
  // "exited with code 3", "killed by signal 9 (Killed)", "timed out after 2m", …
  std::string Describe() const;
};

// "SIGINT", "SIGTERM", …; "signal N" for a number without a name.
std::string SignalName(int signal);

}  // namespace lockstep::exec
