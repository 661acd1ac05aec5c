#include "server/instance.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <nlohmann/json.hpp>

#include "base/file.h"

namespace lockstep::server {
namespace {

namespace fs = std::filesystem;

constexpr const char* kLockFile = "serve.lock";
constexpr const char* kAddressFile = "serve.json";

Result<ServerAddress> ReadAddress(const fs::path& state_directory) {
  fs::path file = state_directory / kAddressFile;
  Result<std::string> text = ReadFile(file, 1 << 16);
  if (!text) return std::unexpected(text.error());
  try {
    nlohmann::json json = nlohmann::json::parse(*text);
    return ServerAddress{json.at("api").get<std::string>(), json.at("gateway").get<std::string>(),
                         json.at("pid").get<int>()};
  } catch (const nlohmann::json::exception&) {
    return Fail(ErrorCode::kCorruption,
                fmt::format("{}: not a server address file", file.string()));
  }
}

// Whether someone holds the lock: try to take it without waiting, and give it back.
Result<bool> LockIsHeld(const fs::path& state_directory) {
  fs::path file = state_directory / kLockFile;
  int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return false;
    return std::unexpected(ErrnoError(errno, file.string()));
  }
  bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return held;
}

}  // namespace

Result<InstanceLock> InstanceLock::Acquire(const fs::path& state_directory) {
  fs::path file = state_directory / kLockFile;
  int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return std::unexpected(ErrnoError(errno, file.string()));
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EINTR) continue;
    int error = errno;
    ::close(fd);
    if (error != EWOULDBLOCK) return std::unexpected(ErrnoError(error, file.string()));
    Result<ServerAddress> running = ReadAddress(state_directory);
    std::string who =
        running ? fmt::format(" (pid {}, API on {})", running->pid, running->api) : "";
    return Fail(ErrorCode::kUnavailable,
                fmt::format("another lockstep serve{} is using {}; stop it first, or give this one "
                            "its own state directory (LOCKSTEP_HOME)",
                            who, state_directory.string()));
  }
  return InstanceLock(fd);
}

InstanceLock::InstanceLock(InstanceLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

InstanceLock::~InstanceLock() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> WriteServerAddress(const fs::path& state_directory, const ServerAddress& address) {
  nlohmann::ordered_json json = {
      {"api", address.api}, {"gateway", address.gateway}, {"pid", address.pid}};
  return WriteFileAtomically(state_directory / kAddressFile, json.dump(2) + "\n");
}

Result<ServerAddress> FindServer(const fs::path& state_directory) {
  Result<bool> held = LockIsHeld(state_directory);
  if (!held) return std::unexpected(held.error());
  if (!*held) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("no lockstep serve is running for {}; start one with `lockstep "
                            "serve`, or point LOCKSTEP_URL at one",
                            state_directory.string()));
  }
  return ReadAddress(state_directory);
}

Result<std::string> ServerUrl(const fs::path& state_directory) {
  if (const char* url = std::getenv("LOCKSTEP_URL"); url != nullptr && *url != '\0') {
    std::string text = url;
    while (!text.empty() && text.back() == '/') text.pop_back();
    return text;
  }
  Result<ServerAddress> server = FindServer(state_directory);
  if (!server) return std::unexpected(server.error());
  return "http://" + server->api;
}

}  // namespace lockstep::server
