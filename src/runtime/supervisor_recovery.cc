// Keeping services running: health monitoring, restarts with backoff, failover along the
// chain and back to the previous release, restoring after a server restart, and shutdown.
#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "exec/subprocess_set.h"
#include "runtime/health_probe.h"
#include "runtime/supervisor.h"
#include "runtime/supervisor_state.h"

namespace lockstep::runtime {

namespace net = boost::asio;
using std::chrono::milliseconds;

net::awaitable<void> Supervisor::Monitor(std::shared_ptr<ServiceState> service,
                                         std::shared_ptr<Instance> instance) {
  const HealthCheck& health = service->spec.health;
  HealthTracker tracker(health.healthy_threshold, health.unhealthy_threshold);
  tracker.Record(true);  // it passed its gate
  std::string last_problem;
  while (true) {
    bool ended = co_await instance->process->WaitForEnd(health.interval);
    if (stopping_ || service->active != instance || instance->role != "active") co_return;
    if (ended) {
      auto recovered = Recover(service, instance,
                               fmt::format("handler '{}' {}", instance->handler.name,
                                           instance->process->end_description()));
      co_await std::move(recovered);
      co_return;
    }
    auto probe = ProbeHealth(instance->port, health.path, health.timeout);
    Result<int> status = co_await std::move(probe);
    if (stopping_ || service->active != instance) co_return;
    bool passed = status && *status == health.status;
    if (!passed) {
      last_problem = status ? fmt::format("{} answered {}", health.path, *status)
                            : fmt::format("{}: {}", health.path, status.error().message());
    }
    if (tracker.Record(passed) == HealthTracker::State::kUnhealthy) {
      auto recovered =
          Recover(service, instance,
                  fmt::format("handler '{}' failed {} health checks in a row ({})",
                              instance->handler.name, health.unhealthy_threshold, last_problem));
      co_await std::move(recovered);
      co_return;
    }
  }
}

net::awaitable<void> Supervisor::Recover(std::shared_ptr<ServiceState> service,
                                         std::shared_ptr<Instance> failed, std::string cause) {
  co_await service->lock.Lock();
  ServiceLockGuard guard(service);
  if (stopping_ || service->active != failed) co_return;  // a deployment replaced it meanwhile
  const std::string name = service->spec.name;
  const std::string release = failed->release;
  failed->healthy = false;
  PublishTable();  // 503 rather than errors from a broken handler
  auto stop_failed = StopInstance(failed, milliseconds(2000));
  Event(name, "handler-failed", cause);
  co_await std::move(stop_failed);

  Result<store::ReleaseRecord> record = store_.GetRelease(name, release);
  Result<ReleaseSpec> chain = record ? ReleaseSpecFromJson(record->spec_json)
                                     : Result<ReleaseSpec>(std::unexpected(record.error()));
  std::shared_ptr<Instance> current = failed;
  while (chain && !service->crashes.RecordFailure(std::chrono::steady_clock::now())) {
    // Not a crash loop (yet): restart the same handler after a backoff.
    int attempt = ++service->restarts;
    milliseconds wait = RestartBackoff(attempt);
    store::ServingState degraded = service->serving;
    degraded.status = "degraded";
    degraded.reason = cause;
    if (store_.SetServing(name, degraded)) service->serving = degraded;
    Event(name, "restart",
          fmt::format("restarting handler '{}' in {}ms (restart {})", current->handler.name,
                      wait.count(), attempt));
    bool stop = co_await stopped_.Wait(wait);  // the backoff, cut short by Shutdown
    if (stop || stopping_) co_return;
    Result<std::shared_ptr<Instance>> restarted =
        StartInstance(*service, release, record->path, current->handler, current->index);
    if (!restarted) {
      cause = fmt::format("handler '{}' could not start: {}", current->handler.name,
                          restarted.error().message());
      Event(name, "handler-failed", cause);
      continue;
    }
    service->candidates.push_back(*restarted);
    auto gate = TryCandidate(service, *restarted);
    std::string outcome = co_await std::move(gate);
    std::erase(service->candidates, *restarted);
    if (outcome == "healthy") {
      (*restarted)->role = "active";
      store_.SetHandlerRole((*restarted)->process->pid(), "active");
      service->active = *restarted;
      service->serving.status = "serving";
      service->serving.reason.clear();
      store_.SetServing(name, service->serving);
      PublishTable();
      Event(name, "restarted",
            fmt::format("handler '{}' is healthy again on port {}", current->handler.name,
                        (*restarted)->port));
      Spawn(Monitor(service, *restarted));
      co_return;
    }
    cause = fmt::format("handler '{}' after a restart: {}", current->handler.name, outcome);
    auto stopped = StopInstance(*restarted, milliseconds(2000));
    Event(name, "handler-failed", cause);
    co_await std::move(stopped);
    current = *restarted;
  }
  service->crashes.Reset();
  service->active = nullptr;
  Event(name, "crash-loop",
        fmt::format("handler '{}' of release {} is crash-looping ({} failures within {}s): {}",
                    failed->handler.name, release, options_.crash_loop_failures,
                    options_.crash_loop_window.count() / 1000, cause));

  // The next candidate of the same chain.
  if (chain && failed->index + 1 < chain->handlers.size()) {
    store::NewDeployment next{.service = name,
                              .release = release,
                              .kind = store::DeploymentKind::kFailover,
                              .actor = "lockstep",
                              .reason = cause};
    for (const Handler& handler : chain->handlers) next.candidates.push_back(handler.name);
    if (Result<store::DeploymentId> id = store_.CreateDeployment(next)) {
      auto failover = RunDeployment(service, *id, release, failed->index + 1);
      Result<store::DeploymentRecord> done = co_await std::move(failover);
      if (done && done->state == store::DeploymentState::kSucceeded) co_return;
    }
  }
  // The chain is exhausted: back to the release that served before, unless that one's chain
  // was exhausted too (two broken releases must not take turns).
  service->exhausted_releases.insert(release);
  std::string previous = service->serving.previous_release;
  if (!previous.empty() && previous != release && !service->exhausted_releases.contains(previous)) {
    Result<store::ReleaseRecord> back = store_.GetRelease(name, previous);
    store::NewDeployment restore{.service = name,
                                 .release = previous,
                                 .kind = store::DeploymentKind::kFailover,
                                 .actor = "lockstep",
                                 .reason = fmt::format("every handler of release {} failed; "
                                                       "restoring release {}",
                                                       release, previous)};
    if (back) {
      if (Result<ReleaseSpec> old_chain = ReleaseSpecFromJson(back->spec_json)) {
        for (const Handler& handler : old_chain->handlers) {
          restore.candidates.push_back(handler.name);
        }
      }
    }
    Event(name, "restore-previous", restore.reason);
    if (Result<store::DeploymentId> id = store_.CreateDeployment(restore)) {
      std::shared_ptr<Instance> warm = service->warm;
      bool warm_usable = warm != nullptr && warm->release == previous && warm->process->running();
      if (warm_usable) {
        // Still warm: one health check, as for a rollback, then a route switch.
        auto probe =
            ProbeHealth(warm->port, service->spec.health.path, service->spec.health.timeout);
        Result<int> status = co_await std::move(probe);
        warm_usable = status && *status == service->spec.health.status;
      }
      if (warm != nullptr && warm->release == previous) {
        if (service->warm_timer) service->warm_timer->cancel();
        service->warm = nullptr;
      }
      if (warm_usable) {
        if (store_.StartDeployment(*id, release)) {
          store_.RecordCandidate(*id, warm->index, "healthy (kept warm)");
          warm->healthy_at = std::chrono::steady_clock::now();
          if (Cutover(*service, *id, warm, previous)) {
            Spawn(Monitor(service, warm));
            co_return;
          }
        }
      } else {
        if (warm != nullptr && warm->release == previous) {
          auto stopped = StopInstance(warm, milliseconds(2000));
          co_await std::move(stopped);
        }
        auto back_to_previous = RunDeployment(service, *id, previous, 0);
        Result<store::DeploymentRecord> done = co_await std::move(back_to_previous);
        if (done && done->state == store::DeploymentState::kSucceeded) co_return;
      }
    }
  }
  store::ServingState failed_state = service->serving;
  failed_state.status = "failed";
  failed_state.reason =
      fmt::format("no handler of service '{}' could be kept running: {}", name, cause);
  if (store_.SetServing(name, failed_state)) service->serving = failed_state;
  Event(name, "failed", failed_state.reason);
}

net::awaitable<Result<void>> Supervisor::RestoreOnStrand() {
  Result<std::vector<store::DeploymentId>> interrupted =
      store_.InterruptUnfinishedDeployments("the server stopped before the deployment finished");
  if (!interrupted) co_return std::unexpected(interrupted.error());
  Result<std::vector<store::HandlerProcessRecord>> leftovers = store_.ListHandlerProcesses();
  if (!leftovers) co_return std::unexpected(leftovers.error());
  for (const store::HandlerProcessRecord& process : *leftovers) {
    if (StopLeftoverProcessGroup(process.process_group, process.start_time, milliseconds(5000))) {
      Event(process.service, "leftover-stopped",
            fmt::format("stopped handler '{}' of release {} (process group {}) left by a "
                        "server that stopped",
                        process.handler, process.release, process.process_group));
    }
    store_.RemoveHandlerProcess(process.process_group);
  }
  // Processes started by a server that died before it could record them.
  exec::KillTaggedProcesses(ProcessTag(), milliseconds(2000));

  Result<std::vector<store::ServiceRecord>> records = store_.ListServices();
  if (!records) co_return std::unexpected(records.error());
  for (const store::ServiceRecord& record : *records) {
    Result<std::shared_ptr<ServiceState>> loaded = LoadService(record.name);
    if (!loaded) {
      spdlog::error("cannot restore service {}: {}", record.name, loaded.error().message());
      continue;
    }
    std::shared_ptr<ServiceState> service = *loaded;
    if (service->serving.release.empty()) continue;
    // Each service comes back on its own, so the gateway serves the others meanwhile.
    Spawn(RestoreService(service));
  }
  PublishTable();
  co_return Result<void>{};
}

net::awaitable<void> Supervisor::RestoreService(std::shared_ptr<ServiceState> service) {
  co_await service->lock.Lock();
  ServiceLockGuard guard(service);
  const std::string& name = service->spec.name;
  std::string release = service->serving.release;
  Result<store::ReleaseRecord> stored = store_.GetRelease(name, release);
  size_t first = 0;
  store::NewDeployment restore{.service = name,
                               .release = release,
                               .kind = store::DeploymentKind::kRestore,
                               .actor = "lockstep",
                               .reason = "the server started again"};
  if (stored && !stored->spec_json.empty()) {
    if (Result<ReleaseSpec> chain = ReleaseSpecFromJson(stored->spec_json)) {
      for (size_t i = 0; i < chain->handlers.size(); ++i) {
        restore.candidates.push_back(chain->handlers[i].name);
        if (chain->handlers[i].name == service->serving.handler) first = i;
      }
    }
  }
  Result<store::DeploymentId> id = store_.CreateDeployment(restore);
  if (!id) {
    spdlog::error("cannot restore service {}: {}", name, id.error().message());
    co_return;
  }
  Event(name, "restore", fmt::format("bringing back release {}", release), *id);
  // Not serving until its handler passes the health gate again.
  store::ServingState restoring = service->serving;
  restoring.status = "starting";
  restoring.reason = "the server started again; release " + release + " is starting";
  if (store_.SetServing(name, restoring)) service->serving = restoring;
  auto bring_back = RunDeployment(service, *id, release, first);
  Result<store::DeploymentRecord> done = co_await std::move(bring_back);
  if (!done || done->state != store::DeploymentState::kSucceeded) {
    store::ServingState failed = service->serving;
    failed.status = "failed";
    failed.reason = done ? done->reason : done.error().message();
    if (store_.SetServing(name, failed)) service->serving = failed;
    Event(name, "failed", "could not bring back release " + release + ": " + failed.reason, *id);
  }
}

net::awaitable<void> Supervisor::ShutdownOnStrand(milliseconds grace) {
  stopping_ = true;
  stopped_.Notify();
  std::vector<std::shared_ptr<Instance>> running;
  for (const auto& [name, service] : services_) {
    if (service->warm_timer) service->warm_timer->cancel();
    for (const std::shared_ptr<Instance>& instance : {service->active, service->warm}) {
      if (instance != nullptr) running.push_back(instance);
    }
    for (const std::shared_ptr<Instance>& candidate : service->candidates) {
      running.push_back(candidate);
    }
  }
  // Everyone gets SIGTERM at once; the grace period is shared, not per process.
  for (const std::shared_ptr<Instance>& instance : running) instance->process->Terminate();
  auto deadline = std::chrono::steady_clock::now() + grace;
  for (const std::shared_ptr<Instance>& instance : running) {
    auto now = std::chrono::steady_clock::now();
    if (now < deadline) {
      bool ended = co_await instance->process->WaitForEnd(deadline - now);
      if (ended) continue;
    }
    auto stopped = instance->process->Stop(milliseconds(0));
    co_await std::move(stopped);
  }
  // Monitors, reapers and retirements notice the ends and return; none may resume after the
  // supervisor is gone. (Bounded: a retirement may still be draining an old handler.)
  if (tasks_ > 0) {
    auto now = std::chrono::steady_clock::now();
    auto left = deadline > now ? deadline - now : std::chrono::steady_clock::duration::zero();
    bool idle = co_await idle_.Wait(left + std::chrono::seconds(2));
    if (!idle) spdlog::warn("{} supervisor tasks still running at shutdown", tasks_);
  }
}

}  // namespace lockstep::runtime
