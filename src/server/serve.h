// `lockstep serve`: one process, one event loop run by a thread per core, two listeners (the
// API and the gateway), the supervisor, and a bounded graceful shutdown on SIGTERM or SIGINT:
// stop accepting, let requests in flight finish, stop the handlers, exit. The services it ran
// come back when it starts again.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>

#include "base/error.h"
#include "http/http_server.h"
#include "server/instance.h"

namespace lockstep::server {

struct ServeOptions {
  std::filesystem::path state_directory;
  http::Endpoint api{"127.0.0.1", 7400};
  http::Endpoint gateway{"127.0.0.1", 8080};
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(10)};
  std::chrono::milliseconds warm_window{std::chrono::minutes(5)};
  int crash_loop_failures = 3;
  std::chrono::milliseconds crash_loop_window{std::chrono::seconds(60)};
  unsigned threads = 0;  // 0: one per core
  // The workspace whose rollouts this server carries out; empty: none (the runtime only).
  std::filesystem::path workspace_file;
  // How often the repositories are polled for changes; zero: never.
  std::chrono::milliseconds poll_interval{std::chrono::seconds(10)};
  // Called once both listeners are up, with the addresses they took.
  std::function<void(const ServerAddress&)> on_ready;
};

// Runs the server until a stop signal. Fails before serving: another server holds the state
// directory (kUnavailable), an address is in use (kAlreadyExists) or invalid, the store or
// the admin token cannot be opened.
Result<void> Serve(const ServeOptions& options);

}  // namespace lockstep::server
