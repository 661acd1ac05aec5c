// A real `lockstep serve` for tests: started in the background on ephemeral loopback ports
// with a state directory of its own, found through the serve.json it writes, and stopped
// (SIGTERM, bounded) at the end. Not thread-safe.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "background_process.h"
#include "http/client.h"
#include "run_binary.h"

namespace lockstep::testing {

class ServeFixture {
 public:
  // `directory` holds the state (directory/state) and is where commands run.
  explicit ServeFixture(std::filesystem::path directory,
                        std::vector<std::string> extra_arguments = {});
  ~ServeFixture();

  // Starts the server and waits (bounded) until it listens; false when it did not.
  bool Start();
  // SIGTERM, then waits for the exit (SIGKILL after 30 s); the server's output.
  CommandOutput Stop();
  // SIGKILL, as a crash would.
  void Kill();

  std::filesystem::path state() const { return directory_ / "state"; }
  const std::filesystem::path& directory() const { return directory_; }
  pid_t pid() const { return server_ ? server_->pid() : -1; }
  std::string server_output() const;
  const http::Url& api() const { return api_; }
  const http::Url& gateway() const { return gateway_; }
  std::vector<std::string> environment() const;

  // Runs a lockstep command against this server.
  CommandOutput Lockstep(const std::vector<std::string>& arguments) const;
  // A request through the gateway or to the API (a failed request is status 0, body the error).
  http::ClientResponse Gateway(const std::string& method, const std::string& target,
                               const std::string& body = "") const;
  http::ClientResponse Api(const std::string& method, const std::string& target,
                           const std::string& body = "",
                           const std::optional<std::string>& token = std::nullopt) const;
  std::string admin_token() const;

 private:
  std::filesystem::path directory_;
  std::vector<std::string> extra_arguments_;
  std::unique_ptr<BackgroundLockstep> server_;
  http::Url api_;
  http::Url gateway_;
};

}  // namespace lockstep::testing
