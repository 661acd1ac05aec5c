// The demo's own `lockstep serve`: started in the workspace folder with its state in
// WORKSPACE/.lockstep (where a later `lockstep serve` there finds it), its output in
// .lockstep/logs/serve.log, and stopped with SIGTERM when the demo ends. The server goes
// down with the demo even if the demo is killed (PR_SET_PDEATHSIG). Not thread-safe.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "base/error.h"
#include "cli/api_client.h"
#include "http/client.h"

namespace lockstep::cli {

class DemoServer {
 public:
  // Starts `executable serve --api API --gateway GATEWAY` in `workspace` and waits (up to
  // 20 s) until it answers. Fails with the end of its log when it does not.
  static Result<std::unique_ptr<DemoServer>> Start(const std::filesystem::path& executable,
                                                   const std::filesystem::path& workspace,
                                                   const std::string& api,
                                                   const std::string& gateway);
  ~DemoServer();  // Stop()
  DemoServer(const DemoServer&) = delete;
  DemoServer& operator=(const DemoServer&) = delete;

  // SIGTERM, then waits for its end (SIGKILL after 30 s). Idempotent.
  void Stop();
  // Waits until the server ends by itself (e.g. a Ctrl-C that reached it too).
  void Wait();

  // The API, with the admin token on mutations.
  Result<nlohmann::ordered_json> Api(const ApiCall& call) const;
  // A request through the gateway; a failed exchange is an error, any status a response.
  Result<http::ClientResponse> Gateway(const std::string& method, const std::string& target,
                                       const std::string& body = "") const;

  const http::Url& api() const { return api_; }
  const http::Url& gateway() const { return gateway_; }
  const std::filesystem::path& state_directory() const { return state_; }
  std::filesystem::path log_file() const { return state_ / "logs" / "serve.log"; }

 private:
  DemoServer(pid_t pid, std::filesystem::path state) : pid_(pid), state_(std::move(state)) {}
  Result<void> AwaitReady(std::chrono::milliseconds bound);

  pid_t pid_;
  std::filesystem::path state_;
  http::Url api_;
  http::Url gateway_;
  std::string token_;
};

}  // namespace lockstep::cli
