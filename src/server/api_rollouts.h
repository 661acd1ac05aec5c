// The coordination part of the API:
//
//   GET  /api/v1/plan?environment=E               the plan for what changed
//   GET  /api/v1/rollouts?environment=E&limit=N   rollouts, newest first
//   GET  /api/v1/rollouts/ID                      one, with its steps and plan
//   POST /api/v1/rollouts                         {"environment"?, "actor"?}: plan and start;
//                                                 201 with the rollout, or 200 with
//                                                 "rollout": null when nothing changed
//   POST /api/v1/rollouts/ID/approve              {"actor"?}
//   POST /api/v1/rollouts/ID/reject               {"actor"?, "reason"?}
//
// The caller has checked the admin token for POSTs. Blocking (plans read git); small.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "http/http_types.h"
#include "server/api_util.h"
#include "server/coordinator.h"

namespace lockstep::server {

// The response to a request under /api/v1/plan or /api/v1/rollouts; `parts` are the path's
// segments ("api", "v1", "rollouts", …). `coordinator` may be null (no workspace).
http::Response HandleCoordination(Coordinator* coordinator, std::string_view method,
                                  const std::vector<std::string_view>& parts, const Target& target,
                                  const std::string& body, const std::string& request_id);

// The rollout as the API sends it; `steps` may be empty.
nlohmann::ordered_json RolloutJson(const store::RolloutRecord& rollout,
                                   const std::vector<store::RolloutStep>& steps, bool with_plan);

}  // namespace lockstep::server
