// The HTTP API under /api/v1, JSON both ways, and /healthz:
//
//   GET  /healthz                                   {"status": "ok"}
//   GET  /api/v1/status                             the server and every service
//   GET  /api/v1/services                           every service
//   GET  /api/v1/services/NAME                      one, with its recent deployments and events
//   GET  /api/v1/services/NAME/releases             its releases, newest first
//   GET  /api/v1/services/NAME/events?limit=N       its history, newest first
//   GET  /api/v1/deployments?service=NAME&limit=N   deployments, newest first
//   GET  /api/v1/deployments/ID                     one deployment
//   POST /api/v1/services/NAME/deploy               {"directory", "service"?, "handlers"?,
//   "actor"?} POST /api/v1/services/NAME/rollback             {"release"?, "actor"?}
//   /api/v1/plan and /api/v1/rollouts…               coordination (api_rollouts.h)
//
// Mutations need `Authorization: Bearer TOKEN` with the server's admin token (compared in
// constant time); reads do not. Every mutation, refused or not, is in the audit chain. A deploy or
// rollback answers when the deployment has finished: 200 with the deployment (its state says
// whether it succeeded), or an error when the request was refused before anything ran. Errors are
// http::JsonErrorBody with the request id; their messages describe the request's problem and never
// the server's internals.
#pragma once

#include <string>

#include "audit/audit_log.h"
#include "http/exchange.h"
#include "runtime/supervisor.h"
#include "server/coordinator.h"
#include "store/runtime_store.h"

namespace lockstep::server {

struct ApiContext {
  runtime::Supervisor& supervisor;
  store::RuntimeStore& store;
  std::string admin_token;
  std::string gateway;  // "127.0.0.1:8080", for status
  int pid = 0;
  Coordinator* coordinator = nullptr;  // null: no workspace, coordination is refused
  audit::AuditLog* audit = nullptr;    // where mutations and refusals are recorded
};

// The API's handler; `context` must outlive the server using it.
http::StreamHandler MakeApiHandler(const ApiContext& context);

}  // namespace lockstep::server
