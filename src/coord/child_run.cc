#include "coord/child_run.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "exec/process.h"
#include "exec/spawn_posix.h"
#include "exec/subprocess_set.h"

namespace lockstep::coord {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// The last lines of the progress log, for a run that was refused before it had a summary.
std::string LastError(const fs::path& log) {
  FILE* file = std::fopen(log.c_str(), "r");
  if (file == nullptr) return "";
  std::string last;
  char line[4096];
  while (std::fgets(line, sizeof line, file) != nullptr) {
    std::string_view text(line);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
    if (text.starts_with("lockstep: error: ")) last = text.substr(17);
  }
  std::fclose(file);
  return last;
}

ChildRunResult ResultFromSummary(const std::string& output) {
  ChildRunResult result;
  nlohmann::json summary = nlohmann::json::parse(output, nullptr, false);
  if (!summary.is_object()) return result;
  result.run_id = summary.value("id", int64_t{0});
  result.state = summary.value("state", "");
  result.reason = summary.value("reason", "");
  if (result.state != "succeeded") {
    // The failed actions with their reasons: what a person needs to see first.
    for (const nlohmann::json& action : summary.value("actions", nlohmann::json::array())) {
      if (action.value("state", "") != "failed") continue;
      std::string line =
          fmt::format("{}: {}", action.value("name", ""), action.value("reason", ""));
      result.reason += result.reason.empty() ? line : "; " + line;
    }
  }
  return result;
}

}  // namespace

Result<ChildRunResult> RunWorkflowProcess(const ChildRunRequest& request) {
  std::error_code error;
  fs::create_directories(request.log_file.parent_path(), error);
  int log = ::open(request.log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log < 0) {
    return Fail(ErrorCode::kIoError,
                fmt::format("cannot open {}: {}", request.log_file.string(), std::strerror(errno)));
  }
  exec::UniqueFd log_fd(log);

  exec::ProcessSpec spec;
  spec.argv = {request.executable.string(), "run",      request.workflow, "--repo",
               request.repository.string(), "--commit", request.commit,   "--json"};
  for (const std::string& variable : request.variables) {
    spec.argv.push_back("--var");
    spec.argv.push_back(variable);
  }
  if (request.approve) spec.argv.push_back("--approve");
  spec.environment = request.environment;
  spec.working_directory = request.repository;
  spec.limits = {};
  Result<exec::SpawnedProcess> spawned = exec::SpawnProcess(spec);
  if (!spawned) return std::unexpected(spawned.error());

  // Summary from stdout; progress from stderr into the log, until both end.
  std::string output;
  pollfd fds[2] = {{spawned->stdout_fd.get(), POLLIN, 0}, {spawned->stderr_fd.get(), POLLIN, 0}};
  int open_streams = 2;
  Clock::time_point deadline = Clock::now() + request.timeout;
  std::string ended_by;
  bool signalled = false;
  Clock::time_point kill_at{};
  char buffer[16384];
  while (open_streams > 0) {
    Clock::time_point now = Clock::now();
    if (!signalled && (now >= deadline || request.stop())) {
      ended_by =
          now >= deadline
              ? fmt::format(
                    "timed out after {}s",
                    std::chrono::duration_cast<std::chrono::seconds>(request.timeout).count())
              : "stopped: the server is stopping";
      ::kill(-spawned->pid, SIGTERM);  // lockstep run cancels its actions
      signalled = true;
      kill_at = now + std::chrono::seconds(30);
    }
    if (signalled && now >= kill_at) ::kill(-spawned->pid, SIGKILL);
    int ready = ::poll(fds, 2, 200);
    if (ready < 0 && errno != EINTR) break;
    for (pollfd& fd : fds) {
      if (fd.fd < 0 || (fd.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      ssize_t got = ::read(fd.fd, buffer, sizeof buffer);
      if (got < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (got <= 0) {
        fd.fd = -1;
        --open_streams;
        continue;
      }
      if (&fd == &fds[0]) {
        output.append(buffer, static_cast<size_t>(got));
      } else if (::write(log, buffer, static_cast<size_t>(got)) < 0) {
        // A full disk loses progress lines, not the run.
      }
    }
  }
  int status = 0;
  while (::waitpid(spawned->pid, &status, 0) < 0 && errno == EINTR) {
  }
  ChildRunResult result = ResultFromSummary(output);
  result.process = ended_by;
  if (result.state.empty()) {
    result.state = "failed";
    std::string refused = LastError(request.log_file);
    result.reason =
        !refused.empty() ? refused
        : WIFSIGNALED(status)
            ? fmt::format("lockstep run was killed by {}", exec::SignalName(WTERMSIG(status)))
            : fmt::format("lockstep run exited with code {}", WEXITSTATUS(status));
  }
  if (!ended_by.empty())
    result.reason = ended_by + (result.reason.empty() ? "" : ": " + result.reason);
  return result;
}

}  // namespace lockstep::coord
