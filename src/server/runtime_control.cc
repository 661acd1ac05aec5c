#include "server/runtime_control.h"

#include <fmt/core.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>

namespace lockstep::server {

namespace net = boost::asio;

namespace {

// "integrated: not healthy within 10s: …" for the candidates tried before the one that
// serves; "" when the first candidate serves.
std::string FallbackOf(const store::DeploymentRecord& deployment) {
  std::string fallback;
  for (const store::CandidateOutcome& candidate : deployment.candidates) {
    if (candidate.handler == deployment.handler) break;
    if (candidate.outcome.empty()) continue;
    if (!fallback.empty()) fallback += "; ";
    fallback += fmt::format("{}: {}", candidate.handler, candidate.outcome);
  }
  return fallback;
}

}  // namespace

Result<std::map<std::string, std::string>> SupervisorControl::ServingReleases() {
  Result<std::vector<store::ServiceRecord>> services = store_.ListServices();
  if (!services) return std::unexpected(services.error());
  std::map<std::string, std::string> serving;
  for (const store::ServiceRecord& service : *services) {
    serving[service.name] = service.serving.release;
  }
  return serving;
}

Result<std::vector<coord::ServiceDeployment>> SupervisorControl::DeploymentsSince(
    store::TimeMs since) {
  // Newest first; a rollout's deployments are among the most recent ones.
  Result<std::vector<store::DeploymentRecord>> deployments = store_.ListDeployments("", 10'000);
  if (!deployments) return std::unexpected(deployments.error());
  std::vector<coord::ServiceDeployment> found;
  for (auto it = deployments->rbegin(); it != deployments->rend(); ++it) {
    if (it->state != store::DeploymentState::kSucceeded || it->created_at < since) continue;
    found.push_back({.service = it->service,
                     .release = it->release,
                     .actor = it->actor,
                     .handler = it->handler,
                     .fallback = FallbackOf(*it)});
  }
  return found;
}

Result<void> SupervisorControl::Rollback(const std::string& service, const std::string& release,
                                         const std::string& actor) {
  std::future<Result<store::DeploymentRecord>> done =
      net::co_spawn(io_, supervisor_.Rollback(service, release, actor), net::use_future);
  Result<store::DeploymentRecord> deployment = done.get();
  if (!deployment) return std::unexpected(deployment.error());
  if (deployment->state != store::DeploymentState::kSucceeded) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("rollback of {} to {} {}: {}", service, release,
                            store::ToString(deployment->state), deployment->reason));
  }
  return {};
}

}  // namespace lockstep::server
