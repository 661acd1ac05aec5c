#include "cli/demo_server.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <fstream>
#include <thread>
#include <vector>

#include "server/admin_token.h"
#include "server/instance.h"

extern char** environ;

namespace lockstep::cli {
namespace {

namespace fs = std::filesystem;

// The last lines of the server's log, for an error saying why it did not come up.
std::string LogTail(const fs::path& log) {
  std::ifstream in(log);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  std::string tail;
  for (size_t i = lines.size() > 8 ? lines.size() - 8 : 0; i < lines.size(); ++i) {
    tail += "\n  " + lines[i];
  }
  return tail;
}

}  // namespace

Result<std::unique_ptr<DemoServer>> DemoServer::Start(const fs::path& executable,
                                                      const fs::path& workspace,
                                                      const std::string& api,
                                                      const std::string& gateway) {
  const fs::path state = workspace / ".lockstep";
  std::error_code error;
  fs::create_directories(state / "logs", error);
  if (error) {
    return Fail(ErrorCode::kIoError,
                fmt::format("cannot make {}: {}", (state / "logs").string(), error.message()));
  }
  // Everything the child needs is made before fork: between fork and exec only
  // async-signal-safe calls.
  std::vector<std::string> arguments = {executable.string(), "serve", "--api", api,
                                        "--gateway",         gateway};
  std::vector<std::string> environment = {"LOCKSTEP_HOME=" + state.string()};
  for (char** entry = environ; *entry != nullptr; ++entry) {
    std::string_view text = *entry;
    if (!text.starts_with("LOCKSTEP_HOME=") && !text.starts_with("LOCKSTEP_URL=")) {
      environment.emplace_back(text);
    }
  }
  std::vector<char*> argv, envp;
  for (std::string& argument : arguments) argv.push_back(argument.data());
  argv.push_back(nullptr);
  for (std::string& entry : environment) envp.push_back(entry.data());
  envp.push_back(nullptr);
  const std::string log = (state / "logs" / "serve.log").string();
  const std::string directory = workspace.string();
  const pid_t parent = ::getpid();

  pid_t pid = ::fork();
  if (pid < 0) return Fail(ErrorCode::kIoError, "cannot start lockstep serve: fork failed");
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (::getppid() != parent) ::_exit(1);  // the demo died before prctl took effect
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (out < 0 || in < 0 || ::dup2(in, STDIN_FILENO) < 0 || ::dup2(out, STDOUT_FILENO) < 0 ||
        ::dup2(out, STDERR_FILENO) < 0 || ::chdir(directory.c_str()) != 0) {
      ::_exit(127);
    }
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  std::unique_ptr<DemoServer> server(new DemoServer(pid, state));
  if (Result<void> ready = server->AwaitReady(std::chrono::seconds(20)); !ready) {
    return std::unexpected(ready.error());
  }
  return server;
}

Result<void> DemoServer::AwaitReady(std::chrono::milliseconds bound) {
  auto deadline = std::chrono::steady_clock::now() + bound;
  std::string problem = "it did not answer";
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("lockstep serve ended at start; the end of {}:{}",
                              log_file().string(), LogTail(log_file())));
    }
    Result<server::ServerAddress> address = server::FindServer(state_);
    Result<std::string> token = server::ReadAdminToken(state_);
    if (address && token && address->pid == pid_) {
      Result<http::Url> api = http::ParseUrl("http://" + address->api);
      Result<http::Url> gateway = http::ParseUrl("http://" + address->gateway);
      if (api && gateway) {
        api_ = *api;
        gateway_ = *gateway;
        token_ = *token;
        Result<nlohmann::ordered_json> answered =
            Api({.target = "/api/v1/status", .timeout = std::chrono::seconds(2)});
        if (answered) return {};
        problem = answered.error().message();
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // polling a process we started
  }
  Stop();
  return Fail(ErrorCode::kUnavailable,
              fmt::format("lockstep serve did not come up within {}s ({}); the end of {}:{}",
                          bound.count() / 1000, problem, log_file().string(), LogTail(log_file())));
}

DemoServer::~DemoServer() { Stop(); }

void DemoServer::Stop() {
  if (pid_ <= 0) return;
  int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
  ::kill(pid_, SIGTERM);
  // The server's own shutdown is bounded (its grace period, then its handlers are killed);
  // 30 s more is for a server that hangs.
  pollfd ended{.fd = pidfd, .events = POLLIN, .revents = 0};
  if (pidfd < 0 || ::poll(&ended, 1, 30'000) <= 0) ::kill(pid_, SIGKILL);
  if (pidfd >= 0) ::close(pidfd);
  Wait();
}

void DemoServer::Wait() {
  if (pid_ <= 0) return;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
}

Result<nlohmann::ordered_json> DemoServer::Api(const ApiCall& call) const {
  return CallApiAt(api_, token_, call);
}

Result<http::ClientResponse> DemoServer::Gateway(const std::string& method,
                                                 const std::string& target,
                                                 const std::string& body) const {
  http::ClientRequest request{.method = method, .target = target, .headers = {}, .body = body};
  if (!body.empty()) request.headers.Set("Content-Type", "application/json");
  return http::Fetch(gateway_, request, std::chrono::seconds(10));
}

}  // namespace lockstep::cli
