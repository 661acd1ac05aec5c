// The JSON forms of the runtime's records as the API sends them. Pure; thread-safe.
#pragma once

#include <nlohmann/json.hpp>

#include "runtime/supervisor.h"
#include "store/runtime_store.h"

namespace lockstep::server {

nlohmann::ordered_json DeploymentJson(const store::DeploymentRecord& deployment);
nlohmann::ordered_json ReleaseJson(const store::ReleaseRecord& release,
                                   const store::ServingState& serving);
nlohmann::ordered_json EventJson(const store::ServiceEvent& event);
nlohmann::ordered_json HandlerJson(const runtime::HandlerStatus& handler);
// A service with its serving state and the handler processes it runs now.
nlohmann::ordered_json ServiceJson(const store::ServiceRecord& service,
                                   const std::vector<runtime::HandlerStatus>& handlers);
// Milliseconds since the epoch as "2026-12-04T22:31:05.123Z".
std::string IsoTime(store::TimeMs time);

}  // namespace lockstep::server
