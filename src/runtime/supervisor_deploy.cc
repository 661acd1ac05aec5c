// Deployments: import, the handler chain under its health gate, the cutover, the warm window,
// and rollbacks.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "runtime/deployment_plan.h"
#include "runtime/health_probe.h"
#include "runtime/release_store.h"
#include "runtime/supervisor.h"
#include "runtime/supervisor_state.h"

namespace lockstep::runtime {

namespace net = boost::asio;
using std::chrono::milliseconds;

namespace {

std::string Seconds(milliseconds duration) {
  if (duration.count() % 1000 == 0) return fmt::format("{}s", duration.count() / 1000);
  return fmt::format("{}ms", duration.count());
}

// Runs a blocking call on a thread of its own and resumes the caller on its executor, so
// that copying a release does not hold up the strand.
template <typename Function>
net::awaitable<std::invoke_result_t<Function>> OffStrand(Function function) {
  net::thread_pool pool(1);
  auto result = co_await net::co_spawn(
      pool.get_executor(),
      [&]() -> net::awaitable<std::invoke_result_t<Function>> { co_return function(); },
      net::use_awaitable);
  pool.join();
  co_return result;
}

}  // namespace

net::awaitable<Result<store::DeploymentRecord>> Supervisor::DeployOnStrand(DeployRequest request) {
  if (stopping_) co_return Fail(ErrorCode::kUnavailable, "the server is shutting down");
  std::shared_ptr<ServiceState> service;
  Result<std::shared_ptr<ServiceState>> known = LoadService(request.service);
  if (known) {
    service = *known;
  } else if (known.error().code() != ErrorCode::kNotFound) {
    co_return std::unexpected(known.error());
  } else if (!request.spec) {
    co_return Fail(ErrorCode::kNotFound,
                   fmt::format("service '{}' is not defined yet: give its route with the first "
                               "deploy (lockstep deploy {} DIR --route /PATH)",
                               request.service, request.service));
  }
  const ServiceSpec& spec = request.spec ? *request.spec : service->spec;
  if (request.spec) {
    if (Result<void> route = CheckRoute(*request.spec); !route) {
      co_return std::unexpected(route.error());
    }
  }
  std::filesystem::path releases = options_.state_directory / "releases";
  auto imported =
      OffStrand([&] { return ImportRelease(request.directory, releases, request.service); });
  Result<Release> release = co_await std::move(imported);
  if (!release) co_return std::unexpected(release.error());
  std::optional<ReleaseSpec> chain = request.chain ? request.chain : release->spec;
  if (request.chain && release->spec && *request.chain != *release->spec) {
    co_return Fail(ErrorCode::kInvalidArgument,
                   fmt::format("the release directory has its own {}; give handlers either "
                               "there or with the request, not both",
                               kReleaseSpecFile));
  }
  if (spec.kind == ServiceSpec::Kind::kHttp && !chain) {
    co_return Fail(ErrorCode::kInvalidArgument,
                   fmt::format("release {} of service '{}' names no handlers: add {} to the "
                               "directory (handlers: [{{name: web, command: [./server]}}]) or "
                               "give them with the request",
                               release->id, request.service, kReleaseSpecFile));
  }
  std::string chain_json = chain ? ReleaseSpecToJson(*chain) : "";
  if (Result<store::ReleaseRecord> stored = store_.GetRelease(request.service, release->id);
      stored && stored->spec_json != chain_json) {
    co_return Fail(ErrorCode::kInvalidArgument,
                   fmt::format("release {} of service '{}' was deployed before with other "
                               "handlers; change the directory to make a new release",
                               release->id, request.service));
  }
  // The service exists in the store before its release and deployment refer to it.
  if (service == nullptr) {
    if (Result<void> put = store_.PutService(spec.name, ServiceSpecToJson(spec)); !put) {
      co_return std::unexpected(put.error());
    }
    Result<std::shared_ptr<ServiceState>> created = LoadService(request.service);
    if (!created) co_return std::unexpected(created.error());
    service = *created;
  }
  if (Result<void> put = store_.PutRelease({.service = request.service,
                                            .id = release->id,
                                            .path = release->path.string(),
                                            .spec_json = chain_json,
                                            .files = release->files,
                                            .bytes = release->bytes});
      !put) {
    co_return std::unexpected(put.error());
  }
  store::NewDeployment deployment{.service = request.service,
                                  .release = release->id,
                                  .kind = store::DeploymentKind::kDeploy,
                                  .actor = request.actor};
  if (chain) {
    for (const Handler& handler : chain->handlers) deployment.candidates.push_back(handler.name);
  }
  Result<store::DeploymentId> id = store_.CreateDeployment(deployment);
  if (!id) co_return std::unexpected(id.error());
  Event(request.service, "deploy-queued",
        fmt::format("deployment {} of release {} asked for by {}", *id, release->id, request.actor),
        *id);

  co_await service->lock.Lock();
  ServiceLockGuard guard(service);
  service->exhausted_releases.clear();  // a person decided: failover may use any release again
  bool spec_changed = request.spec && *request.spec != service->spec;
  bool serving_it = service->serving.release == release->id &&
                    (spec.kind == ServiceSpec::Kind::kStatic
                         ? service->site != nullptr
                         : service->active != nullptr && service->active->healthy);
  if (serving_it && !spec_changed) {
    if (Result<void> started = store_.StartDeployment(*id, service->serving.release); !started) {
      co_return std::unexpected(started.error());
    }
    store_.FinishDeployment(*id, store::DeploymentState::kSucceeded, service->serving.handler,
                            "release already serving", std::nullopt);
    Event(request.service, "deploy-unchanged",
          fmt::format("release {} already serves; nothing to do", release->id), *id);
    co_return store_.GetDeployment(*id);
  }
  if (spec_changed) {
    if (Result<void> route = CheckRoute(*request.spec); !route) {
      store_.FinishDeployment(*id, store::DeploymentState::kFailed, "", route.error().message(),
                              std::nullopt);
      co_return std::unexpected(route.error());
    }
    if (Result<void> put = store_.PutService(spec.name, ServiceSpecToJson(*request.spec)); !put) {
      co_return std::unexpected(put.error());
    }
    service->spec = *request.spec;
    PublishTable();
  }
  auto run = RunDeployment(service, *id, release->id, 0);
  co_return co_await std::move(run);
}

net::awaitable<Result<store::DeploymentRecord>> Supervisor::RollbackOnStrand(std::string name,
                                                                             std::string release,
                                                                             std::string actor) {
  if (stopping_) co_return Fail(ErrorCode::kUnavailable, "the server is shutting down");
  Result<std::shared_ptr<ServiceState>> loaded = LoadService(name);
  if (!loaded) co_return std::unexpected(loaded.error());
  std::shared_ptr<ServiceState> service = *loaded;
  co_await service->lock.Lock();
  ServiceLockGuard guard(service);
  service->exhausted_releases.clear();  // a person decided: failover may use any release again
  std::string target = release.empty() ? service->serving.previous_release : release;
  if (target.empty()) {
    co_return Fail(ErrorCode::kInvalidArgument,
                   fmt::format("service '{}' has no earlier release to roll back to; `lockstep "
                               "releases {}` lists its releases",
                               name, name));
  }
  Result<store::ReleaseRecord> record = store_.GetRelease(name, target);
  if (!record) {
    co_return Fail(ErrorCode::kNotFound,
                   fmt::format("service '{}' has no release '{}'; `lockstep releases {}` lists "
                               "them",
                               name, target, name));
  }
  store::NewDeployment deployment{
      .service = name, .release = target, .kind = store::DeploymentKind::kRollback, .actor = actor};
  if (Result<ReleaseSpec> chain = ReleaseSpecFromJson(record->spec_json);
      chain && !record->spec_json.empty()) {
    for (const Handler& handler : chain->handlers) deployment.candidates.push_back(handler.name);
  }
  Result<store::DeploymentId> id = store_.CreateDeployment(deployment);
  if (!id) co_return std::unexpected(id.error());
  Event(name, "rollback-started",
        fmt::format("rollback {} to release {} asked for by {}", *id, target, actor), *id);

  // Within the warm window the old release is still running: one health check, then a
  // route switch.
  std::shared_ptr<Instance> warm = service->warm;
  if (warm != nullptr && warm->release == target && warm->process->running()) {
    if (Result<void> started = store_.StartDeployment(*id, service->serving.release); !started) {
      co_return std::unexpected(started.error());
    }
    auto probe = ProbeHealth(warm->port, service->spec.health.path, service->spec.health.timeout);
    Result<int> status = co_await std::move(probe);
    if (status && *status == service->spec.health.status) {
      warm->healthy_at = std::chrono::steady_clock::now();
      store_.RecordCandidate(*id, warm->index, "healthy (kept warm)");
      if (service->warm_timer) service->warm_timer->cancel();
      service->warm = nullptr;
      std::shared_ptr<Instance> previous = service->active;
      if (Result<void> switched = Cutover(*service, *id, warm, target); !switched) {
        co_return std::unexpected(switched.error());
      }
      if (previous != nullptr && previous != warm) KeepWarm(service, previous);
      Spawn(Monitor(service, warm));
      co_return store_.GetDeployment(*id);
    }
    // Not healthy after all: a cold start of the whole chain below.
    Event(name, "warm-unhealthy",
          fmt::format("the warm handler of release {} did not pass its health check", target), *id);
    if (service->warm_timer) service->warm_timer->cancel();
    auto stopped = StopInstance(warm, milliseconds(1000));
    service->warm = nullptr;
    co_await std::move(stopped);
    auto cold_start = RunDeployment(service, *id, target, warm->index, /*started=*/true);
    co_return co_await std::move(cold_start);
  }
  auto run = RunDeployment(service, *id, target, 0);
  co_return co_await std::move(run);
}

net::awaitable<Result<store::DeploymentRecord>> Supervisor::RunDeployment(
    std::shared_ptr<ServiceState> service, store::DeploymentId id, std::string release,
    size_t first, bool started) {
  const std::string& name = service->spec.name;
  if (!started) {
    if (Result<void> start = store_.StartDeployment(id, service->serving.release); !start) {
      co_return std::unexpected(start.error());
    }
  }
  Result<store::ReleaseRecord> record = store_.GetRelease(name, release);
  if (!record) co_return std::unexpected(record.error());

  if (service->spec.kind == ServiceSpec::Kind::kStatic) {
    Result<std::shared_ptr<const SiteRoot>> site = SiteRoot::Open(record->path);
    if (!site) {
      store_.FinishDeployment(id, store::DeploymentState::kFailed, "", site.error().message(),
                              std::nullopt);
      co_return store_.GetDeployment(id);
    }
    std::shared_ptr<const SiteRoot> previous = service->site;
    service->site = *site;
    if (Result<void> switched = Cutover(*service, id, nullptr, release); !switched) {
      service->site = previous;
      co_return std::unexpected(switched.error());
    }
    co_return store_.GetDeployment(id);
  }

  Result<ReleaseSpec> chain = ReleaseSpecFromJson(record->spec_json);
  if (!chain) co_return std::unexpected(chain.error());
  std::vector<std::string> names;
  for (size_t i = first; i < chain->handlers.size(); ++i) names.push_back(chain->handlers[i].name);
  if (names.empty()) {
    std::string reason = fmt::format("release {} has no handler after '{}' to try", release,
                                     chain->handlers.back().name);
    store_.FinishDeployment(id, store::DeploymentState::kFailed, "", reason, std::nullopt);
    co_return store_.GetDeployment(id);
  }
  std::shared_ptr<Instance> previous = service->active;
  DeploymentPlan plan(names, previous != nullptr);
  std::vector<std::shared_ptr<Instance>> instances(names.size());
  std::vector<std::string> failures;
  std::vector<DeploymentPlan::Command> commands = plan.Begin();
  while (!commands.empty()) {
    if (stopping_) {
      // The candidates still running are stopped with the server; the next server starts
      // from what the store says serves.
      store_.FinishDeployment(id, store::DeploymentState::kInterrupted, "",
                              "the server stopped during the deployment", std::nullopt);
      co_return store_.GetDeployment(id);
    }
    DeploymentPlan::Command command = std::move(commands.front());
    commands.erase(commands.begin());
    std::vector<DeploymentPlan::Command> next;
    if (auto* start = std::get_if<DeploymentPlan::StartCandidate>(&command)) {
      size_t index = first + start->candidate;
      const Handler& handler = chain->handlers[index];
      Event(name, "candidate-starting",
            fmt::format("starting handler '{}' of release {}", handler.name, release), id);
      Result<std::shared_ptr<Instance>> instance =
          StartInstance(*service, release, record->path, handler, index);
      if (!instance) {
        std::string outcome = "could not start: " + instance.error().message();
        store_.RecordCandidate(id, index, outcome);
        failures.push_back(fmt::format("{}: {}", handler.name, outcome));
        next = plan.OnExited(start->candidate, outcome);
      } else {
        instances[start->candidate] = *instance;
        service->candidates.push_back(*instance);
        auto gate = TryCandidate(service, *instance);
        std::string outcome = co_await std::move(gate);
        std::erase(service->candidates, *instance);
        store_.RecordCandidate(id, index, outcome);
        if (outcome == "healthy") {
          next = plan.OnHealthy(start->candidate);
        } else {
          failures.push_back(fmt::format("{}: {}", handler.name, outcome));
          next = (*instance)->process->running() ? plan.OnDeadline(start->candidate)
                                                 : plan.OnExited(start->candidate, outcome);
        }
      }
    } else if (auto* stop = std::get_if<DeploymentPlan::StopCandidate>(&command)) {
      Event(name, "candidate-failed",
            fmt::format("handler '{}' of release {} did not serve: {}", names[stop->candidate],
                        release, failures.back()),
            id);
      if (std::shared_ptr<Instance> failed = instances[stop->candidate]) {
        auto stopped = StopInstance(failed, milliseconds(2000));
        co_await std::move(stopped);
      }
    } else if (auto* cutover = std::get_if<DeploymentPlan::SwitchRoute>(&command)) {
      std::shared_ptr<Instance> serving = instances[cutover->candidate];
      if (Result<void> switched = Cutover(*service, id, serving, release); !switched) {
        auto stopped = StopInstance(serving, milliseconds(2000));
        co_await std::move(stopped);
        co_return std::unexpected(switched.error());
      }
      Spawn(Monitor(service, serving));
    } else if (std::holds_alternative<DeploymentPlan::DrainPrevious>(command)) {
      if (previous != nullptr && previous != service->active) {
        if (previous->release != release && previous->process->running()) {
          KeepWarm(service, previous);
        } else {
          Spawn(Retire(service, previous));
        }
      }
    } else if (auto* finished = std::get_if<DeploymentPlan::Finished>(&command)) {
      if (!finished->succeeded) {
        std::string reason = fmt::format("no handler of release {} became healthy", release);
        for (const std::string& failure : failures) reason += "; " + failure;
        store_.FinishDeployment(id, store::DeploymentState::kFailed, "", reason, std::nullopt);
        Event(
            name, "deploy-failed",
            fmt::format("{}{}", reason,
                        service->serving.release.empty()
                            ? ""
                            : fmt::format("; release {} keeps serving", service->serving.release)),
            id);
      }
    }
    commands.insert(commands.end(), next.begin(), next.end());
  }
  co_return store_.GetDeployment(id);
}

net::awaitable<std::string> Supervisor::TryCandidate(std::shared_ptr<ServiceState> service,
                                                     std::shared_ptr<Instance> instance) {
  const HealthCheck& health = service->spec.health;
  auto deadline = std::chrono::steady_clock::now() + service->spec.start_timeout;
  int passes = 0;
  std::string last_problem = "no answer yet";
  // Check often at first: a handler is usually up within milliseconds, and the cutover
  // should not wait a whole interval for it.
  milliseconds pause(10);
  while (true) {
    if (!instance->process->running()) co_return instance->process->end_description();
    if (stopping_) co_return "the server is shutting down";
    auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      co_return fmt::format("not healthy within {}: {}", Seconds(service->spec.start_timeout),
                            last_problem);
    }
    auto left = std::chrono::duration_cast<milliseconds>(deadline - now);
    auto probe = ProbeHealth(instance->port, health.path, std::min(health.timeout, left));
    Result<int> status = co_await std::move(probe);
    if (status && *status == health.status) {
      if (++passes >= health.healthy_threshold) {
        instance->healthy = true;
        instance->healthy_at = std::chrono::steady_clock::now();
        co_return "healthy";
      }
    } else {
      passes = 0;
      last_problem = status ? fmt::format("{} answered {}", health.path, *status)
                            : fmt::format("{}: {}", health.path, status.error().message());
    }
    now = std::chrono::steady_clock::now();
    if (now >= deadline) continue;
    bool ended = co_await instance->process->WaitForEnd(
        std::min<std::chrono::steady_clock::duration>(pause, deadline - now));
    (void)ended;  // seen at the top of the loop
    pause = std::min(pause * 2, health.interval);
  }
}

Result<void> Supervisor::Cutover(ServiceState& service, store::DeploymentId id,
                                 std::shared_ptr<Instance> instance, const std::string& release) {
  const store::ServingState& old = service.serving;
  std::string handler = instance ? instance->handler.name : "";
  store::ServingState next{.release = release, .handler = handler, .status = "serving"};
  if (old.release != release) {
    next.previous_release = old.release;
    next.previous_handler = old.handler;
  } else {
    next.previous_release = old.previous_release;
    next.previous_handler = old.previous_handler;
  }
  // Recorded first: a server killed right after this comes back on the new release.
  if (Result<void> finished =
          store_.FinishDeployment(id, store::DeploymentState::kSucceeded, handler, "", next);
      !finished) {
    return finished;
  }
  service.serving = next;
  service.restarts = 0;
  if (instance != nullptr) {
    instance->role = "active";
    instance->healthy = true;
    store_.SetHandlerRole(instance->process->pid(), "active");
    service.active = instance;
  }
  service.retired_table = gateway_.table();
  PublishTable();
  Event(service.spec.name, "cutover",
        instance ? fmt::format("release {} serves with handler '{}' on port {} (switched {}us "
                               "after its health check passed)",
                               release, handler, instance->port,
                               std::chrono::duration_cast<std::chrono::microseconds>(
                                   std::chrono::steady_clock::now() - instance->healthy_at)
                                   .count())
                 : fmt::format("release {} serves", release),
        id);
  return {};
}

void Supervisor::KeepWarm(std::shared_ptr<ServiceState> service,
                          std::shared_ptr<Instance> instance) {
  if (service->warm != nullptr && service->warm != instance) {
    if (service->warm_timer) service->warm_timer->cancel();
    Spawn(StopInstance(service->warm, service->spec.drain_timeout));
  }
  service->warm = instance;
  instance->role = "warm";
  store_.SetHandlerRole(instance->process->pid(), "warm");
  auto timer = std::make_shared<net::steady_timer>(strand_, options_.warm_window);
  service->warm_timer = timer;
  // Requests still on their way to it finish: the gateway's old table holds the port until
  // they do, and the warm window outlasts them; then SIGTERM and drain_timeout.
  timer->async_wait([this, service, instance, timer](const boost::system::error_code& error) {
    if (error || service->warm != instance) return;
    service->warm = nullptr;
    Event(service->spec.name, "warm-expired",
          fmt::format("release {} is no longer kept warm; stopping handler '{}'", instance->release,
                      instance->handler.name));
    Spawn(Retire(service, instance));
  });
}

net::awaitable<void> Supervisor::Retire(std::shared_ptr<ServiceState> service,
                                        std::shared_ptr<Instance> instance) {
  std::weak_ptr<const GatewayTable> table = service->retired_table;
  auto deadline = std::chrono::steady_clock::now() + service->spec.drain_timeout;
  // No event tells when the last request holding a table ends; a short poll with a bound.
  while (!table.expired() && std::chrono::steady_clock::now() < deadline &&
         instance->process->running()) {
    bool ended = co_await instance->process->WaitForEnd(milliseconds(5));
    if (ended) break;
  }
  auto stopped = StopInstance(instance, service->spec.drain_timeout);
  co_await std::move(stopped);
}

}  // namespace lockstep::runtime
