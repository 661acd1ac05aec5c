#include "server/api_json.h"

#include <fmt/chrono.h>
#include <fmt/core.h>

#include <chrono>

namespace lockstep::server {

std::string IsoTime(store::TimeMs time) {
  auto point = std::chrono::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(time));
  // fmt 9 prints %T of any time point in whole seconds, so the milliseconds are added here.
  auto seconds = std::chrono::floor<std::chrono::seconds>(point);
  return fmt::format("{:%FT%T}.{:03}Z", seconds, (point - seconds).count());
}

namespace {

nlohmann::ordered_json OptionalTime(const std::optional<store::TimeMs>& time) {
  return time ? nlohmann::ordered_json(IsoTime(*time)) : nlohmann::ordered_json(nullptr);
}

}  // namespace

nlohmann::ordered_json DeploymentJson(const store::DeploymentRecord& deployment) {
  nlohmann::ordered_json candidates = nlohmann::ordered_json::array();
  for (const store::CandidateOutcome& candidate : deployment.candidates) {
    candidates.push_back({{"handler", candidate.handler}, {"outcome", candidate.outcome}});
  }
  return {{"id", deployment.id},
          {"service", deployment.service},
          {"release", deployment.release},
          {"kind", store::ToString(deployment.kind)},
          {"state", store::ToString(deployment.state)},
          {"actor", deployment.actor},
          {"reason", deployment.reason},
          {"from_release", deployment.from_release},
          {"handler", deployment.handler},
          {"candidates", std::move(candidates)},
          {"created_at", IsoTime(deployment.created_at)},
          {"started_at", OptionalTime(deployment.started_at)},
          {"finished_at", OptionalTime(deployment.finished_at)}};
}

nlohmann::ordered_json ReleaseJson(const store::ReleaseRecord& release,
                                   const store::ServingState& serving) {
  nlohmann::ordered_json handlers = nlohmann::ordered_json::array();
  if (!release.spec_json.empty()) {
    nlohmann::ordered_json chain = nlohmann::ordered_json::parse(release.spec_json, nullptr, false);
    if (chain.is_object() && chain.contains("handlers")) handlers = chain["handlers"];
  }
  std::string role = release.id == serving.release            ? "active"
                     : release.id == serving.previous_release ? "previous"
                                                              : "";
  return {{"id", release.id},
          {"service", release.service},
          {"role", role},
          {"files", release.files},
          {"bytes", release.bytes},
          {"handlers", std::move(handlers)},
          {"created_at", IsoTime(release.created_at)}};
}

nlohmann::ordered_json EventJson(const store::ServiceEvent& event) {
  return {{"id", event.id},
          {"service", event.service},
          {"time", IsoTime(event.time)},
          {"kind", event.kind},
          {"message", event.message},
          {"deployment", event.deployment ? nlohmann::ordered_json(*event.deployment)
                                          : nlohmann::ordered_json(nullptr)}};
}

nlohmann::ordered_json HandlerJson(const runtime::HandlerStatus& handler) {
  return {{"release", handler.release}, {"handler", handler.handler}, {"role", handler.role},
          {"pid", handler.pid},         {"port", handler.port},       {"healthy", handler.healthy}};
}

nlohmann::ordered_json ServiceJson(const store::ServiceRecord& service,
                                   const std::vector<runtime::HandlerStatus>& handlers) {
  nlohmann::ordered_json definition =
      nlohmann::ordered_json::parse(service.spec_json, nullptr, false);
  nlohmann::ordered_json processes = nlohmann::ordered_json::array();
  for (const runtime::HandlerStatus& handler : handlers) {
    if (handler.service == service.name) processes.push_back(HandlerJson(handler));
  }
  const store::ServingState& serving = service.serving;
  return {{"name", service.name},
          {"definition", std::move(definition)},
          {"status", serving.release.empty() ? "not deployed" : serving.status},
          {"reason", serving.reason},
          {"release", serving.release},
          {"handler", serving.handler},
          {"previous_release", serving.previous_release},
          {"processes", std::move(processes)},
          {"updated_at", IsoTime(service.updated_at)}};
}

}  // namespace lockstep::server
