// The supervisor's in-memory state of one service and of one handler process. Internal to
// runtime/supervisor*.cc; everything here is touched on the supervisor's strand only.
#pragma once

#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "runtime/gateway.h"
#include "runtime/handler_process.h"
#include "runtime/health_state.h"
#include "runtime/release_spec.h"
#include "runtime/service_spec.h"
#include "runtime/strand_event.h"
#include "runtime/supervisor.h"
#include "store/runtime_store.h"

namespace lockstep::runtime {

struct Supervisor::Instance {
  std::string service;
  std::string release;
  Handler handler;
  size_t index = 0;  // in the release's chain
  uint16_t port = 0;
  std::shared_ptr<HandlerProcess> process;
  std::string role = "candidate";
  bool healthy = false;
  // When it last passed its health gate: the cutover reports how long the switch took.
  std::chrono::steady_clock::time_point healthy_at = {};
};

struct Supervisor::ServiceState {
  ServiceSpec spec;
  store::ServingState serving;       // as recorded in the store
  std::shared_ptr<Instance> active;  // the handler serving (http)
  std::shared_ptr<Instance> warm;    // the previous release, kept for a fast rollback
  std::shared_ptr<boost::asio::steady_timer> warm_timer;
  std::shared_ptr<const SiteRoot> site;               // the static release served
  std::vector<std::shared_ptr<Instance>> candidates;  // under a health gate now
  // The gateway table replaced by the last cutover: requests routed by it may still be on
  // their way to the old handler, which is stopped only once the table is released.
  std::weak_ptr<const GatewayTable> retired_table;
  StrandMutex lock;  // one deployment or recovery at a time
  CrashLoopDetector crashes;
  int restarts = 0;  // consecutive restarts of the active handler, for the backoff
  // Releases whose whole chain crash-looped: not brought back automatically again until a
  // user deploys or rolls back.
  std::set<std::string> exhausted_releases;

  ServiceState(ServiceSpec service_spec, int crash_failures, std::chrono::milliseconds window)
      : spec(std::move(service_spec)), crashes(crash_failures, window) {}
};

// Holds a service's lock for a scope.
class ServiceLockGuard {
 public:
  explicit ServiceLockGuard(std::shared_ptr<Supervisor::ServiceState> service)
      : service_(std::move(service)) {}
  ~ServiceLockGuard() { service_->lock.Unlock(); }
  ServiceLockGuard(const ServiceLockGuard&) = delete;
  ServiceLockGuard& operator=(const ServiceLockGuard&) = delete;

 private:
  std::shared_ptr<Supervisor::ServiceState> service_;
};

// A free TCP port on 127.0.0.1, as the system picks one for bind(0). kIoError when none.
Result<uint16_t> FreeLoopbackPort();

// Reads a stored service definition or handler chain back.
Result<ServiceSpec> ServiceSpecFromJson(std::string_view name, std::string_view json);
Result<ReleaseSpec> ReleaseSpecFromJson(std::string_view json);

}  // namespace lockstep::runtime
