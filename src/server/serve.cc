#include "server/serve.h"

#include <fmt/core.h>
#include <signal.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdlib>
#include <thread>
#include <vector>

#include "runtime/gateway.h"
#include "runtime/proxy.h"
#include "runtime/supervisor.h"
#include "server/admin_token.h"
#include "server/api.h"
#include "server/audit_observer.h"
#include "server/audited_runtime_store.h"
#include "server/coordinator.h"
#include "server/runtime_control.h"
#include "store/coord_store.h"
#include "store/runtime_store.h"

namespace lockstep::server {

namespace net = boost::asio;

namespace {

// What handlers inherit from the server's own environment; nothing else (secrets the
// server was started with stay with it).
std::vector<std::string> HandlerBaseEnvironment() {
  std::vector<std::string> environment;
  for (const char* name : {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR"}) {
    if (const char* value = std::getenv(name))
      environment.push_back(fmt::format("{}={}", name, value));
  }
  if (std::getenv("PATH") == nullptr) environment.push_back("PATH=/usr/local/bin:/usr/bin:/bin");
  return environment;
}

Result<void> ListenOn(http::HttpServer& server, const http::Endpoint& endpoint,
                      std::string_view what, std::string_view flag) {
  Result<void> listening = server.Listen(endpoint);
  if (listening) return {};
  if (listening.error().code() == ErrorCode::kAlreadyExists) {
    return Fail(ErrorCode::kAlreadyExists,
                fmt::format("the {} address {} is in use; choose another with {} ADDR:PORT", what,
                            endpoint.ToString(), flag));
  }
  return Fail(listening.error().code(),
              fmt::format("cannot listen for the {} on {}: {}", what, endpoint.ToString(),
                          listening.error().message()));
}

std::function<void(const http::AccessLogEntry&)> AccessLog(std::shared_ptr<spdlog::logger> log,
                                                           std::string_view listener) {
  return [log, listener = std::string(listener)](const http::AccessLogEntry& entry) {
    log->info("{} {} \"{} {}\" {} {} {} {}us {}", listener, entry.peer, entry.method, entry.target,
              entry.status, entry.bytes_received, entry.bytes_sent, entry.duration.count(),
              entry.request_id);
  };
}

}  // namespace

Result<void> Serve(const ServeOptions& options) {
  const std::filesystem::path& state = options.state_directory;
  std::error_code error;
  std::filesystem::create_directories(state / "logs", error);
  if (error) {
    return Fail(ErrorCode::kIoError, fmt::format("cannot create the state directory {}: {}",
                                                 state.string(), error.message()));
  }
  Result<InstanceLock> lock = InstanceLock::Acquire(state);
  if (!lock) return std::unexpected(lock.error());
  Result<std::string> token = LoadOrCreateAdminToken(state);
  if (!token) return std::unexpected(token.error());
  Result<std::unique_ptr<store::RuntimeStore>> runtime_store =
      store::OpenSqliteRuntimeStore(state / "state.db");
  if (!runtime_store) return std::unexpected(runtime_store.error());
  Result<std::unique_ptr<audit::AuditLog>> audit = audit::AuditLog::Open(state);
  if (!audit) return std::unexpected(audit.error());
  // Every deployment that ends is audited on its way into the store.
  AuditedRuntimeStore store(**runtime_store, **audit);
  ::signal(SIGPIPE, SIG_IGN);

  std::shared_ptr<spdlog::logger> access;
  try {
    access = std::make_shared<spdlog::logger>("access",
                                              std::make_shared<spdlog::sinks::basic_file_sink_mt>(
                                                  (state / "logs" / "access.log").string()));
  } catch (const spdlog::spdlog_ex& failure) {
    return Fail(ErrorCode::kIoError, fmt::format("cannot open the access log: {}", failure.what()));
  }
  access->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %v", spdlog::pattern_time_type::utc);
  access->flush_on(spdlog::level::warn);

  unsigned threads =
      options.threads != 0 ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  net::io_context io(static_cast<int>(threads));
  runtime::UpstreamPool pool(io);
  runtime::Gateway gateway(pool, runtime::ProxyOptions{});
  runtime::Supervisor supervisor(
      io, store, gateway,
      runtime::SupervisorOptions{.state_directory = state,
                                 .warm_window = options.warm_window,
                                 .crash_loop_failures = options.crash_loop_failures,
                                 .crash_loop_window = options.crash_loop_window,
                                 .base_environment = HandlerBaseEnvironment()});

  http::ServerOptions gateway_options;
  gateway_options.access_log = AccessLog(access, "gateway");
  http::HttpServer gateway_server(io, gateway_options, gateway.Handler());
  if (Result<void> listening = ListenOn(gateway_server, options.gateway, "gateway", "--gateway");
      !listening) {
    return listening;
  }
  Result<std::unique_ptr<store::CoordStore>> coord_store =
      store::OpenSqliteCoordStore(state / "state.db");
  if (!coord_store) return std::unexpected(coord_store.error());
  SupervisorControl runtime_control(io, supervisor, store);
  AuditObserver audit_observer(**audit);
  std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  Coordinator coordinator(
      CoordinatorOptions{.workspace_file = options.workspace_file,
                         .state_directory = state,
                         .executable = executable,
                         .gateway_url = "http://" + gateway_server.local_endpoint().ToString(),
                         .poll_interval = options.poll_interval,
                         .base_environment = HandlerBaseEnvironment()},
      **coord_store, runtime_control, &audit_observer);

  ApiContext context{.supervisor = supervisor,
                     .store = store,
                     .admin_token = *token,
                     .gateway = gateway_server.local_endpoint().ToString(),
                     .pid = ::getpid(),
                     .coordinator = &coordinator,
                     .audit = audit->get()};
  http::ServerOptions api_options;
  api_options.max_body_bytes = 1 << 20;
  api_options.access_log = AccessLog(access, "api");
  http::HttpServer api_server(io, api_options, MakeApiHandler(context));
  if (Result<void> listening = ListenOn(api_server, options.api, "API", "--api"); !listening) {
    return listening;
  }
  ServerAddress address{.api = api_server.local_endpoint().ToString(),
                        .gateway = gateway_server.local_endpoint().ToString(),
                        .pid = ::getpid()};
  if (Result<void> written = WriteServerAddress(state, address); !written) return written;

  net::co_spawn(
      io,
      [&]() -> net::awaitable<void> {
        if (Result<void> restored = co_await supervisor.Restore(); !restored) {
          spdlog::error("cannot restore the services: {}", restored.error().message());
        }
        // Rollouts a dead server left are rolled back onto the services just restored.
        coordinator.Start();
      },
      net::detached);

  net::thread_pool coord_pool(1);  // where the coordinator is stopped, off the event loop
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& failed, int signal) {
    if (failed) return;
    spdlog::info("stopping on {}", signal == SIGINT ? "SIGINT" : "SIGTERM");
    auto grace = options.shutdown_grace;
    net::co_spawn(
        io,
        [&, grace]() -> net::awaitable<void> {
          // New requests are refused from here; those in flight get the grace period.
          api_server.Stop(grace);
          // Off the event loop: a rollout thread may be waiting for the supervisor on it.
          co_await net::co_spawn(
              coord_pool,
              [&]() -> net::awaitable<void> {
                coordinator.Stop();
                co_return;
              },
              net::use_awaitable);
          auto shutdown = supervisor.Shutdown(grace);
          gateway_server.Stop(grace);
          co_await std::move(shutdown);
          io.stop();
        },
        net::detached);
  });
  if (options.on_ready) options.on_ready(address);

  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& worker : workers) worker.join();
  std::filesystem::remove(state / "serve.json", error);
  access->flush();
  return {};
}

}  // namespace lockstep::server
