#include "exec/spawn_posix.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "exec/program_path.h"
#include "exec/sandbox.h"

namespace lockstep::exec {
namespace {

constexpr std::string_view kDefaultPath = "/usr/local/bin:/usr/bin:/bin";

std::string_view NameOf(std::string_view entry) { return entry.substr(0, entry.find('=')); }

// The value of the last entry named `name` (dash, like most shells, keeps the last).
std::optional<std::string_view> LastValue(const std::vector<std::string>& environment,
                                          std::string_view name) {
  std::optional<std::string_view> value;
  for (std::string_view entry : environment) {
    if (entry.size() > name.size() && entry[name.size()] == '=' && entry.starts_with(name)) {
      value = entry.substr(name.size() + 1);
    }
  }
  return value;
}

// PATH as the child's getenv("PATH") will see it: the first entry.
std::string_view PathOf(const std::vector<std::string>& environment) {
  for (std::string_view entry : environment) {
    if (entry.starts_with("PATH=")) return entry.substr(5);
  }
  return kDefaultPath;
}

bool IsShellName(std::string_view name) {
  if (name.empty() || std::isdigit(static_cast<unsigned char>(name[0]))) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
  });
}

std::string ShellQuote(std::string_view text) {
  std::string quoted = "'";
  for (char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

// `value` in units of `unit` for ulimit, lowered to the hard limit lockstep runs with.
std::string UlimitValue(int resource, uint64_t value, uint64_t unit) {
  struct rlimit current {};
  if (::getrlimit(resource, &current) == 0 && current.rlim_max != RLIM_INFINITY &&
      value > current.rlim_max) {
    value = current.rlim_max;
  }
  if (value == RLIM_INFINITY) return "unlimited";
  return std::to_string(value / unit);
}

// A pipe whose ends are close-on-exec and not 0, 1 or 2: when lockstep itself runs with a
// standard descriptor closed, pipe2 may hand one out, and the child's dup2 onto 1 and 2
// would then clobber it.
Result<std::pair<UniqueFd, UniqueFd>> MakePipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return std::unexpected(ErrnoError(errno, "pipe"));
  UniqueFd ends[2] = {UniqueFd(fds[0]), UniqueFd(fds[1])};
  for (UniqueFd& end : ends) {
    if (end.get() > 2) continue;
    int moved = ::fcntl(end.get(), F_DUPFD_CLOEXEC, 3);
    if (moved < 0) return std::unexpected(ErrnoError(errno, "fcntl"));
    end = UniqueFd(moved);
  }
  return std::pair(std::move(ends[0]), std::move(ends[1]));
}

std::vector<char*> CStrings(const std::vector<std::string>& strings) {
  std::vector<char*> pointers;
  for (const std::string& s : strings) pointers.push_back(const_cast<char*>(s.c_str()));
  pointers.push_back(nullptr);
  return pointers;
}

}  // namespace

bool ShellKeepsEnvironment(const std::vector<std::string>& environment) {
  return std::all_of(environment.begin(), environment.end(), [](std::string_view entry) {
    return entry.find('=') != std::string_view::npos && IsShellName(NameOf(entry));
  });
}

// posix_spawn has no way to set resource limits in the child, and setting them afterwards
// with prlimit(2) races with the program, which may already have opened files or forked.
// So the limits are set by a shell that then execs the program (same pid, same group):
// ulimit -n/-t in units, -f in 512-byte blocks and -v in KiB (as dash counts them).
std::optional<std::string> LimitsScript(const ResourceLimits& limits,
                                        const std::vector<std::string>& environment) {
  std::string script = "set -e";
  if (limits.open_files) {
    script += "; ulimit -n " + UlimitValue(RLIMIT_NOFILE, *limits.open_files, 1);
  }
  if (limits.file_size_bytes) {
    script += "; ulimit -f " + UlimitValue(RLIMIT_FSIZE, *limits.file_size_bytes, 512);
  }
  if (limits.cpu_seconds) {
    script += "; ulimit -t " + UlimitValue(RLIMIT_CPU, *limits.cpu_seconds, 1);
  }
  if (limits.address_space_bytes) {
    script += "; ulimit -v " + UlimitValue(RLIMIT_AS, *limits.address_space_bytes, 1024);
  }
  if (script == "set -e") return std::nullopt;
  if (!ShellKeepsEnvironment(environment)) return script + "; exec /usr/bin/env -i \"$@\"";
  // dash exports PWD (set to the working directory) and rewrites IFS, OPTIND and PPID when
  // they were in its environment; put back what the spec said.
  std::optional<std::string_view> pwd = LastValue(environment, "PWD");
  script += pwd ? "; export PWD=" + ShellQuote(*pwd) : "; unset PWD";
  for (std::string_view name : {"IFS", "OPTIND", "PPID"}) {
    if (auto value = LastValue(environment, name)) {
      script += fmt::format("; export {}={}", name, ShellQuote(*value));
    }
  }
  return script + "; exec \"$@\"";
}

Result<Command> BuildCommand(const ProcessSpec& spec) {
  if (spec.argv.empty() || spec.argv[0].empty()) {
    return Fail(ErrorCode::kInvalidArgument, "no program to run: the command line is empty");
  }
  std::error_code error;
  std::filesystem::path directory = spec.working_directory.empty()
                                        ? std::filesystem::current_path(error)
                                        : std::filesystem::absolute(spec.working_directory, error);
  struct stat info {};
  if (error || ::stat(directory.c_str(), &info) != 0) {
    return Fail(ErrorCode::kNotFound, fmt::format("working directory '{}' does not exist",
                                                  spec.working_directory.string()));
  }
  if (!S_ISDIR(info.st_mode)) {
    return Fail(ErrorCode::kNotFound, fmt::format("working directory '{}' is not a directory",
                                                  spec.working_directory.string()));
  }

  const std::string& name = spec.argv[0];
  std::filesystem::path program;
  if (name.find('/') != std::string::npos) {
    program = (directory / name).lexically_normal();
    if (!std::filesystem::exists(program, error)) {
      return Fail(ErrorCode::kNotFound, fmt::format("program '{}' not found", name));
    }
    if (!IsExecutableFile(program)) {
      return Fail(ErrorCode::kIoError, fmt::format("program '{}' is not an executable file", name));
    }
  } else {
    std::optional<std::filesystem::path> found =
        FindInPath(name, PathOf(spec.environment), directory);
    if (!found) {
      return Fail(ErrorCode::kNotFound, fmt::format("program '{}' not found in PATH", name));
    }
    program = *found;
  }

  Command command{program.string(), spec.argv, directory};
  if (spec.sandbox.enabled) {
    Result<std::filesystem::path> bwrap = FindBubblewrap();
    if (!bwrap) return std::unexpected(bwrap.error());
    command.argv[0] = program.string();
    Result<std::vector<std::string>> argv =
        SandboxCommand(*bwrap, spec.sandbox, directory, command.argv);
    if (!argv) return std::unexpected(argv.error());
    command.file = bwrap->string();
    command.argv = std::move(*argv);
  }
  if (std::optional<std::string> script = LimitsScript(spec.limits, spec.environment)) {
    std::vector<std::string> argv = {"/bin/sh", "-c", std::move(*script), "lockstep"};
    if (!ShellKeepsEnvironment(spec.environment)) {
      // env(1) takes the first argument without '=' for the program.
      if (command.file.find('=') != std::string::npos) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("cannot run '{}' with resource limits: its path contains '=' "
                                "and the environment has names that are not shell identifiers",
                                command.file));
      }
      for (const std::string& entry : spec.environment) {
        if (entry.find('=') != std::string::npos) argv.push_back(entry);
      }
    }
    argv.push_back(command.file);
    argv.insert(argv.end(), command.argv.begin() + 1, command.argv.end());
    command.file = "/bin/sh";
    command.argv = std::move(argv);
  }
  return command;
}

Result<SpawnedProcess> SpawnProcess(const ProcessSpec& spec) {
  Result<Command> command = BuildCommand(spec);
  if (!command) return std::unexpected(command.error());
  auto out = MakePipe();
  if (!out) return std::unexpected(out.error());
  auto err = MakePipe();
  if (!err) return std::unexpected(err.error());

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out->second.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err->second.get(), 2);
  // Descriptors some library opened without O_CLOEXEC must not leak into the child: a leaked
  // write end of another child's pipe would keep that child's output from ever ending.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  posix_spawn_file_actions_addchdir_np(&actions, command->directory.c_str());

  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  // Its own process group, so that the whole group can be signalled and the terminal's
  // SIGINT does not reach it; default dispositions for every signal, because ignored signals
  // survive exec (a lockstep that ignores SIGPIPE would make `yes | head` run forever).
  posix_spawnattr_setflags(&attributes,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attributes, 0);
  sigset_t signals;
  sigemptyset(&signals);
  posix_spawnattr_setsigmask(&attributes, &signals);
  sigfillset(&signals);
  posix_spawnattr_setsigdefault(&attributes, &signals);

  std::vector<char*> argv = CStrings(command->argv);
  std::vector<char*> envp = CStrings(spec.environment);
  pid_t pid = 0;
  int status =
      ::posix_spawn(&pid, command->file.c_str(), &actions, &attributes, argv.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (status == ENOENT) {
    return Fail(ErrorCode::kNotFound, fmt::format("program '{}' not found", spec.argv[0]));
  }
  if (status != 0) {
    return Fail(ErrorCode::kIoError,
                fmt::format("cannot start '{}': {}", spec.argv[0], std::strerror(status)));
  }
  for (UniqueFd* fd : {&out->first, &err->first}) {
    ::fcntl(fd->get(), F_SETFL, ::fcntl(fd->get(), F_GETFL) | O_NONBLOCK);
  }
  return SpawnedProcess{pid, std::move(out->first), std::move(err->first)};
}

}  // namespace lockstep::exec
