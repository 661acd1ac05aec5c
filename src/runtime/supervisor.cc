#include "runtime/supervisor.h"

#include <fmt/core.h>
#include <netinet/in.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>

#include "exec/subprocess_set.h"
#include "exec/unique_fd.h"
#include "runtime/supervisor_state.h"
#include "yaml/yaml_tree.h"

namespace lockstep::runtime {

namespace net = boost::asio;

Result<uint16_t> FreeLoopbackPort() {
  exec::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (!fd.valid() || ::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return Fail(ErrorCode::kIoError,
                fmt::format("no free port on 127.0.0.1: {}", std::strerror(errno)));
  }
  return ntohs(address.sin_port);
}

Result<ServiceSpec> ServiceSpecFromJson(std::string_view name, std::string_view json) {
  std::string file = fmt::format("stored service {}", name);
  Result<yaml::Node> node = yaml::ParseYaml(json, file);
  if (!node) return std::unexpected(node.error());
  return ReadServiceSpec(name, *node, file);
}

Result<ReleaseSpec> ReleaseSpecFromJson(std::string_view json) {
  return ParseReleaseSpec(json, "stored handler chain");
}

Supervisor::Supervisor(net::io_context& io, store::RuntimeStore& store, Gateway& gateway,
                       SupervisorOptions options)
    : io_(io),
      strand_(net::make_strand(io)),
      store_(store),
      gateway_(gateway),
      options_(std::move(options)) {}

Supervisor::~Supervisor() = default;

net::awaitable<Result<void>> Supervisor::Restore() {
  return net::co_spawn(strand_, RestoreOnStrand(), net::use_awaitable);
}

net::awaitable<Result<store::DeploymentRecord>> Supervisor::Deploy(DeployRequest request) {
  return net::co_spawn(strand_, DeployOnStrand(std::move(request)), net::use_awaitable);
}

net::awaitable<Result<store::DeploymentRecord>> Supervisor::Rollback(std::string service,
                                                                     std::string release,
                                                                     std::string actor) {
  return net::co_spawn(strand_,
                       RollbackOnStrand(std::move(service), std::move(release), std::move(actor)),
                       net::use_awaitable);
}

net::awaitable<void> Supervisor::Shutdown(std::chrono::milliseconds grace) {
  return net::co_spawn(strand_, ShutdownOnStrand(grace), net::use_awaitable);
}

net::awaitable<std::vector<HandlerStatus>> Supervisor::Handlers() {
  // A callable, not a coroutine made here: co_spawn keeps the callable alive while it runs.
  return net::co_spawn(
      strand_, [this]() -> net::awaitable<std::vector<HandlerStatus>> { co_return HandlersNow(); },
      net::use_awaitable);
}

std::vector<HandlerStatus> Supervisor::HandlersNow() const {
  std::vector<HandlerStatus> handlers;
  auto add = [&](const std::shared_ptr<Instance>& instance) {
    if (instance == nullptr || !instance->process->running()) return;
    handlers.push_back({.service = instance->service,
                        .release = instance->release,
                        .handler = instance->handler.name,
                        .role = instance->role,
                        .pid = instance->process->pid(),
                        .port = instance->port,
                        .healthy = instance->healthy});
  };
  for (const auto& [name, service] : services_) {
    add(service->active);
    add(service->warm);
    for (const std::shared_ptr<Instance>& candidate : service->candidates) add(candidate);
  }
  return handlers;
}

Result<std::shared_ptr<Supervisor::ServiceState>> Supervisor::LoadService(const std::string& name) {
  if (auto it = services_.find(name); it != services_.end()) return it->second;
  Result<store::ServiceRecord> record = store_.GetService(name);
  if (!record) return std::unexpected(record.error());
  Result<ServiceSpec> spec = ServiceSpecFromJson(name, record->spec_json);
  if (!spec) return std::unexpected(spec.error());
  auto service = std::make_shared<ServiceState>(std::move(*spec), options_.crash_loop_failures,
                                                options_.crash_loop_window);
  service->serving = record->serving;
  services_[name] = service;
  return service;
}

Result<void> Supervisor::CheckRoute(const ServiceSpec& spec) const {
  std::vector<Route> routes = {spec.route};
  for (const auto& [name, service] : services_) {
    if (name != spec.name) routes.push_back(service->spec.route);
  }
  Result<RouteTable> table = RouteTable::Make(std::move(routes));
  if (!table) return std::unexpected(table.error());
  return {};
}

void Supervisor::PublishTable() {
  std::vector<Route> routes;
  auto table = std::make_shared<GatewayTable>();
  for (const auto& [name, service] : services_) {
    routes.push_back(service->spec.route);
    ServiceTarget target;
    if (service->spec.kind == ServiceSpec::Kind::kStatic) {
      target.site = service->site;
      target.static_options.spa_fallback = service->spec.spa_fallback;
    } else if (service->active != nullptr && service->active->healthy) {
      target.port = service->active->port;
    }
    table->targets.emplace(name, std::move(target));
  }
  Result<RouteTable> made = RouteTable::Make(std::move(routes));
  if (!made) {
    // CheckRoute admitted every route in; this is a bug, and the old table stays.
    spdlog::error("route table rejected: {}", made.error().message());
    return;
  }
  table->routes = std::make_shared<const RouteTable>(std::move(*made));
  gateway_.Publish(std::move(table));
}

void Supervisor::Event(const std::string& service, std::string_view kind,
                       const std::string& message, std::optional<store::DeploymentId> deployment) {
  spdlog::info("{}: {}", service, message);
  if (Result<int64_t> added = store_.AppendEvent(service, kind, message, deployment); !added) {
    spdlog::warn("cannot record an event of {}: {}", service, added.error().message());
  }
}

std::string Supervisor::ProcessTag() const {
  return "LOCKSTEP_SUPERVISOR=" + options_.state_directory.string();
}

std::vector<std::string> Supervisor::HandlerEnvironment(const ServiceState& service,
                                                        const std::string& release,
                                                        const Handler& handler,
                                                        uint16_t port) const {
  std::vector<std::string> environment = options_.base_environment;
  for (const auto& [name, value] : service.spec.environment) {
    std::erase_if(environment,
                  [&](const std::string& entry) { return entry.starts_with(name + "="); });
    environment.push_back(name + "=" + value);
  }
  environment.push_back(fmt::format("PORT={}", port));
  environment.push_back("LOCKSTEP_SERVICE=" + service.spec.name);
  environment.push_back("LOCKSTEP_RELEASE=" + release);
  environment.push_back("LOCKSTEP_HANDLER=" + handler.name);
  environment.push_back("DATA_DIR=" +
                        (options_.state_directory / "data" / service.spec.name).string());
  // Lets a restarted server find processes this one started even if it died before
  // recording them (exec::KillTaggedProcesses).
  environment.push_back(ProcessTag());
  return environment;
}

Result<std::shared_ptr<Supervisor::Instance>> Supervisor::StartInstance(
    ServiceState& service, const std::string& release, const std::filesystem::path& release_path,
    const Handler& handler, size_t index) {
  Result<uint16_t> port = FreeLoopbackPort();
  if (!port) return std::unexpected(port.error());
  std::error_code error;
  std::filesystem::path data = options_.state_directory / "data" / service.spec.name;
  std::filesystem::path logs = options_.state_directory / "logs" / "services" / service.spec.name;
  std::filesystem::create_directories(data, error);
  if (!error) std::filesystem::create_directories(logs, error);
  if (error) {
    return Fail(ErrorCode::kIoError, fmt::format("cannot create the folders of service {}: {}",
                                                 service.spec.name, error.message()));
  }
  ::chmod(data.c_str(), 0700);
  HandlerLaunch launch{
      .argv = handler.command,
      .environment = HandlerEnvironment(service, release, handler, *port),
      .working_directory = release_path,
      .log_file = logs / fmt::format("{}-{}.log", release, handler.name),
  };
  Result<std::shared_ptr<HandlerProcess>> process = HandlerProcess::Start(strand_, launch);
  if (!process) return std::unexpected(process.error());
  auto instance = std::make_shared<Instance>(Instance{.service = service.spec.name,
                                                      .release = release,
                                                      .handler = handler,
                                                      .index = index,
                                                      .port = *port,
                                                      .process = std::move(*process)});
  store::HandlerProcessRecord record{
      .process_group = instance->process->pid(),
      .start_time = instance->process->start_time(),
      .service = service.spec.name,
      .release = release,
      .handler = handler.name,
      .port = *port,
      .role = "candidate",
      .owner = {.pid = ::getpid(), .start_time = exec::StartTimeOf(::getpid())},
  };
  if (Result<void> put = store_.PutHandlerProcess(record); !put) {
    instance->process->Terminate();
    return std::unexpected(put.error());
  }
  Spawn(Reap(instance));
  return instance;
}

void Supervisor::Spawn(net::awaitable<void> task) {
  ++tasks_;
  net::co_spawn(strand_, Track(std::move(task)), net::detached);
}

net::awaitable<void> Supervisor::Track(net::awaitable<void> task) {
  co_await std::move(task);
  if (--tasks_ == 0 && stopping_) idle_.Notify();
}

net::awaitable<void> Supervisor::Reap(std::shared_ptr<Instance> instance) {
  bool ended = false;
  while (!ended) ended = co_await instance->process->WaitForEnd(std::chrono::hours(24));
  instance->healthy = false;
  if (Result<void> removed = store_.RemoveHandlerProcess(instance->process->pid()); !removed) {
    spdlog::warn("cannot forget handler process {}: {}", instance->process->pid(),
                 removed.error().message());
  }
}

net::awaitable<void> Supervisor::StopInstance(std::shared_ptr<Instance> instance,
                                              std::chrono::milliseconds grace) {
  auto stopped = instance->process->Stop(grace);
  instance->healthy = false;
  co_await std::move(stopped);
}

}  // namespace lockstep::runtime
