// KillProcessGroup, ProcessIsAlive and StartTimeOf, on /proc and kill(2).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "exec/proc_stat.h"
#include "exec/subprocess_set.h"
#include "exec/unique_fd.h"

namespace lockstep::exec {
namespace {

template <class T>
bool ParseNumber(std::string_view text, T& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size();
}

bool IsGone(char state) { return state == 'Z' || state == 'X' || state == 'x'; }

// Whether any process in group `pgid` is still running (zombies do not count: they are dead
// and only wait for a parent to reap them). Scans /proc, as there is no call that asks.
bool GroupHasLiveMembers(int pgid) {
  // Fast path: kill(2) already knows when the group is empty.
  if (::kill(-pgid, 0) != 0 && errno == ESRCH) return false;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return true;  // cannot tell: assume alive, the caller escalates
  bool alive = false;
  while (dirent* entry = ::readdir(proc)) {
    int pid = 0;
    if (!ParseNumber(std::string_view(entry->d_name), pid)) continue;
    std::optional<ProcStat> stat = ReadProcStat(pid);
    if (stat && stat->process_group == pgid && !IsGone(stat->state)) {
      alive = true;
      break;
    }
  }
  ::closedir(proc);
  return alive;
}

}  // namespace

std::optional<ProcStat> ParseProcStat(std::string_view text) {
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::string_view rest = text.substr(close + 1);
  // After the command name: field 3 onwards, separated by single spaces.
  std::vector<std::string_view> fields;
  while (!rest.empty() && fields.size() < 20) {
    while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\n')) rest.remove_prefix(1);
    size_t end = rest.find_first_of(" \n");
    if (end == std::string_view::npos) end = rest.size();
    if (end > 0) fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end);
  }
  ProcStat stat;
  if (fields.size() < 20 || fields[0].size() != 1) return std::nullopt;
  stat.state = fields[0][0];
  if (!ParseNumber(fields[2], stat.process_group)) return std::nullopt;  // field 5
  if (!ParseNumber(fields[19], stat.start_time)) return std::nullopt;    // field 22
  return stat;
}

std::optional<ProcStat> ReadProcStat(int pid) {
  char path[32];
  std::snprintf(path, sizeof path, "/proc/%d/stat", pid);
  UniqueFd fd(::open(path, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return std::nullopt;
  char buffer[4096];
  ssize_t size;
  do {
    size = ::read(fd.get(), buffer, sizeof buffer);
  } while (size < 0 && errno == EINTR);
  if (size <= 0) return std::nullopt;
  return ParseProcStat(std::string_view(buffer, static_cast<size_t>(size)));
}

uint64_t StartTimeOf(int pid) {
  if (pid <= 0) return 0;
  std::optional<ProcStat> stat = ReadProcStat(pid);
  return stat ? stat->start_time : 0;
}

bool ProcessIsAlive(int pid, uint64_t start_time) {
  // A start time of 0 is StartTimeOf's failure value: it matches nothing, so that an
  // unverifiable pid is never taken for alive.
  if (pid <= 0 || start_time == 0) return false;
  std::optional<ProcStat> stat = ReadProcStat(pid);
  return stat && !IsGone(stat->state) && stat->start_time == start_time;
}

std::vector<int> FindProcessesWithEnvironment(std::string_view entry) {
  std::vector<int> found;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return found;
  std::string environment;
  while (dirent* item = ::readdir(proc)) {
    int pid = 0;
    if (!ParseNumber(std::string_view(item->d_name), pid) || pid == ::getpid()) continue;
    UniqueFd fd(
        ::open(("/proc/" + std::string(item->d_name) + "/environ").c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) continue;
    environment.clear();
    char buffer[8192];
    for (ssize_t n; (n = ::read(fd.get(), buffer, sizeof buffer)) > 0;)
      environment.append(buffer, static_cast<size_t>(n));
    std::string_view rest = environment;
    while (!rest.empty()) {
      size_t end = rest.find('\0');
      if (rest.substr(0, end) == entry) {
        found.push_back(pid);
        break;
      }
      if (end == std::string_view::npos) break;
      rest.remove_prefix(end + 1);
    }
  }
  ::closedir(proc);
  return found;
}

int KillTaggedProcesses(std::string_view entry, std::chrono::milliseconds grace) {
  std::vector<int> pids = FindProcessesWithEnvironment(entry);
  for (int pid : pids) {
    int pgid = ::getpgid(pid);
    if (pgid > 1 && pgid != ::getpgrp()) {
      KillProcessGroup(pgid, grace);
    }
    ::kill(pid, SIGKILL);  // one that left its group (setsid) is still tagged
  }
  return static_cast<int>(pids.size());
}

bool KillProcessGroup(int pgid, std::chrono::milliseconds grace) {
  // kill(-1) and kill(0) would reach far more than one group, and lockstep's own group is
  // never a step's.
  if (pgid <= 1 || pgid == ::getpgrp()) return false;
  if (!GroupHasLiveMembers(pgid)) return false;
  ::kill(-pgid, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + grace;
  // Nothing signals the end of processes that are not our children: poll.
  while (std::chrono::steady_clock::now() < deadline) {
    if (!GroupHasLiveMembers(pgid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ::kill(-pgid, SIGKILL);
  return true;
}

}  // namespace lockstep::exec
