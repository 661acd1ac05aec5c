#include "exec/process.h"

#include <fmt/core.h>

#include <cstring>

namespace lockstep::exec {
namespace {

// The largest whole unit, in the notation ParseDuration reads: "2m", "90s", "1500ms".
std::string FormatDuration(std::chrono::milliseconds duration) {
  int64_t ms = duration.count();
  if (ms != 0 && ms % 3'600'000 == 0) return fmt::format("{}h", ms / 3'600'000);
  if (ms != 0 && ms % 60'000 == 0) return fmt::format("{}m", ms / 60'000);
  if (ms != 0 && ms % 1000 == 0) return fmt::format("{}s", ms / 1000);
  return fmt::format("{}ms", ms);
}

}  // namespace

std::string ProcessResult::Describe() const {
  if (timed_out) return "timed out after " + FormatDuration(timeout);
  if (cancelled) return "cancelled";
  if (exit_code) return fmt::format("exited with code {}", *exit_code);
  if (term_signal) {
    // sigdescr_np is strsignal's text without its static buffer (thread-safe).
    const char* name = ::sigdescr_np(*term_signal);
    return fmt::format("killed by signal {} ({})", *term_signal,
                       name != nullptr ? name : "unknown signal");
  }
  return "ended with an unknown status";
}

std::string SignalName(int signal) {
  const char* name = sigabbrev_np(signal);  // glibc
  return name != nullptr ? fmt::format("SIG{}", name) : fmt::format("signal {}", signal);
}

}  // namespace lockstep::exec
