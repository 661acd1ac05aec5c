// One `lockstep serve` per state directory, and how the other commands find it: the server
// holds an exclusive lock on STATE/serve.lock for as long as it runs and records where it
// listens in STATE/serve.json. Thread-compatible.
#pragma once

#include <filesystem>
#include <string>

#include "base/error.h"

namespace lockstep::server {

struct ServerAddress {
  std::string api;      // "127.0.0.1:7400"
  std::string gateway;  // "127.0.0.1:8080"
  int pid = 0;

  bool operator==(const ServerAddress&) const = default;
};

// The lock of a running server; released when destroyed (or when the process dies, however
// it dies: the kernel drops flock locks with the file).
class InstanceLock {
 public:
  // kUnavailable "another lockstep serve (pid N) is using STATE" when one holds it.
  static Result<InstanceLock> Acquire(const std::filesystem::path& state_directory);
  InstanceLock(InstanceLock&& other) noexcept;
  InstanceLock& operator=(InstanceLock&&) = delete;
  ~InstanceLock();

 private:
  explicit InstanceLock(int fd) : fd_(fd) {}
  int fd_;
};

// Records where the server listens (atomically replacing the file).
Result<void> WriteServerAddress(const std::filesystem::path& state_directory,
                                const ServerAddress& address);

// Where the server of `state_directory` listens. kUnavailable "no lockstep serve is running
// for STATE" when none holds the lock (a serve.json left by a killed server does not count).
Result<ServerAddress> FindServer(const std::filesystem::path& state_directory);

// The API's base URL for the CLI: $LOCKSTEP_URL when set, else "http://" + FindServer's api.
Result<std::string> ServerUrl(const std::filesystem::path& state_directory);

}  // namespace lockstep::server
