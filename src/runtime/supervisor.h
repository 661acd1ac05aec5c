// The supervisor: turns deploy and rollback requests into running handler processes behind
// the gateway, and keeps them running.
//
//   deploy    import the directory as a release; try its handler chain in order (each
//             candidate on a free port, gated by its health check within start_timeout);
//             the first healthy one takes the route in one atomic switch; the old release
//             stays warm for `warm_window` (a rollback within it is a route switch), then
//             gets SIGTERM and drain_timeout to finish. No healthy candidate: the deployment
//             fails and the old release keeps serving.
//   monitor   an active handler that exits or fails its health checks past the threshold is
//             restarted with backoff; a crash loop moves the service to the next candidate of
//             the chain, and past the last one back to the previous release.
//   restore   on start, deployments a dead server left are marked interrupted, the handler
//             processes it left are stopped, and every service is brought back on the release
//             recorded as serving.
//
// Every transition is written to the RuntimeStore before it is acted on; events record each
// step with its cause. Deployments of one service run one at a time, in the order asked.
// All state lives on one strand; the public coroutines may be awaited from any executor.
//
// In the implementation, a coroutine call is made into a named awaitable before it is
// awaited, and nothing is awaited inside a condition: g++ 12 mishandles temporaries that live
// across a suspension (bad frees, resumption of the wrong point).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "runtime/gateway.h"
#include "runtime/release_spec.h"
#include "runtime/service_spec.h"
#include "runtime/strand_event.h"
#include "store/runtime_store.h"

namespace lockstep::runtime {

struct SupervisorOptions {
  std::filesystem::path state_directory;  // releases/, data/, logs/ live under it
  std::chrono::milliseconds warm_window{std::chrono::minutes(5)};
  int crash_loop_failures = 3;
  std::chrono::milliseconds crash_loop_window{std::chrono::seconds(60)};
  // Given to every handler before the service's own environment: PATH, HOME, LANG, …
  std::vector<std::string> base_environment;
};

struct DeployRequest {
  std::string service = {};
  std::optional<ServiceSpec> spec = {};   // required for a new service; replaces the definition
  std::filesystem::path directory = {};   // the release's content
  std::optional<ReleaseSpec> chain = {};  // instead of the directory's lockstep.release.yaml
  std::string actor = {};
};

// A handler process the supervisor runs now.
struct HandlerStatus {
  std::string service;
  std::string release;
  std::string handler;
  std::string role;  // "candidate", "active", "warm"
  int pid = 0;
  uint16_t port = 0;
  bool healthy = false;
};

class Supervisor {
 public:
  Supervisor(boost::asio::io_context& io, store::RuntimeStore& store, Gateway& gateway,
             SupervisorOptions options);
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Brings back what the store says was serving (see the top of this file). Once, first.
  boost::asio::awaitable<Result<void>> Restore();

  // Deploys a new release (or the same content again, which is the same release). Returns
  // the finished deployment; a deployment that ran and failed is a value with state failed,
  // an error is a request refused before anything ran (unknown service without a spec, a bad
  // directory, a route taken by another service).
  boost::asio::awaitable<Result<store::DeploymentRecord>> Deploy(DeployRequest request);

  // Brings back release `release` of `service` (empty: the one that served before), through
  // the same health gate, or by a route switch while it is still warm.
  boost::asio::awaitable<Result<store::DeploymentRecord>> Rollback(std::string service,
                                                                   std::string release,
                                                                   std::string actor);

  // The handler processes now, by service.
  boost::asio::awaitable<std::vector<HandlerStatus>> Handlers();

  // Stops every handler (SIGTERM, drain_timeout, SIGKILL, at most `grace` overall) and every
  // monitor; the store keeps what was serving, for the next Restore.
  boost::asio::awaitable<void> Shutdown(std::chrono::milliseconds grace);

  struct Instance;
  struct ServiceState;

 private:
  using Strand = boost::asio::strand<boost::asio::io_context::executor_type>;
  struct Attempt;

  // Everything below runs on strand_.
  std::vector<HandlerStatus> HandlersNow() const;
  boost::asio::awaitable<Result<void>> RestoreOnStrand();
  boost::asio::awaitable<Result<store::DeploymentRecord>> DeployOnStrand(DeployRequest request);
  boost::asio::awaitable<Result<store::DeploymentRecord>> RollbackOnStrand(std::string service,
                                                                           std::string release,
                                                                           std::string actor);
  boost::asio::awaitable<void> ShutdownOnStrand(std::chrono::milliseconds grace);

  // Runs a deployment of `release` trying its chain from candidate `first`; the caller holds
  // the service's lock. Returns the finished record.
  boost::asio::awaitable<Result<store::DeploymentRecord>> RunDeployment(
      std::shared_ptr<ServiceState> service, store::DeploymentId id, std::string release,
      size_t first, bool started = false);
  // Starts one candidate and waits for its health gate; the outcome text ("healthy", "exited
  // with code 1", "not healthy within 30s: …").
  boost::asio::awaitable<std::string> TryCandidate(std::shared_ptr<ServiceState> service,
                                                   std::shared_ptr<Instance> instance);
  Result<std::shared_ptr<Instance>> StartInstance(ServiceState& service, const std::string& release,
                                                  const std::filesystem::path& release_path,
                                                  const Handler& handler, size_t index);
  boost::asio::awaitable<void> StopInstance(std::shared_ptr<Instance> instance,
                                            std::chrono::milliseconds grace);
  // Records the cutover to `instance` (or the static `release`) and publishes the table.
  Result<void> Cutover(ServiceState& service, store::DeploymentId id,
                       std::shared_ptr<Instance> instance, const std::string& release);
  // Keeps `instance` warm for the warm window, then retires it.
  void KeepWarm(std::shared_ptr<ServiceState> service, std::shared_ptr<Instance> instance);
  // Stops a handler that no longer takes new requests once the requests routed to it have
  // finished (at most drain_timeout), then with SIGTERM and drain_timeout to exit.
  boost::asio::awaitable<void> Retire(std::shared_ptr<ServiceState> service,
                                      std::shared_ptr<Instance> instance);

  boost::asio::awaitable<void> Monitor(std::shared_ptr<ServiceState> service,
                                       std::shared_ptr<Instance> instance);
  boost::asio::awaitable<void> Recover(std::shared_ptr<ServiceState> service,
                                       std::shared_ptr<Instance> instance, std::string cause);

  // Starts `task` on the strand, counted so that Shutdown can wait for every task to end:
  // nothing may resume on a supervisor that is gone.
  void Spawn(boost::asio::awaitable<void> task);
  boost::asio::awaitable<void> Track(boost::asio::awaitable<void> task);
  // Forgets a handler's process record once the process has ended, however it ended.
  boost::asio::awaitable<void> Reap(std::shared_ptr<Instance> instance);
  // Brings one service back on the release recorded as serving (Restore).
  boost::asio::awaitable<void> RestoreService(std::shared_ptr<ServiceState> service);

  Result<std::shared_ptr<ServiceState>> LoadService(const std::string& name);
  Result<void> CheckRoute(const ServiceSpec& spec) const;
  void PublishTable();
  void Event(const std::string& service, std::string_view kind, const std::string& message,
             std::optional<store::DeploymentId> deployment = std::nullopt);
  std::vector<std::string> HandlerEnvironment(const ServiceState& service,
                                              const std::string& release, const Handler& handler,
                                              uint16_t port) const;
  std::string ProcessTag() const;

  boost::asio::io_context& io_;
  Strand strand_;
  store::RuntimeStore& store_;
  Gateway& gateway_;
  SupervisorOptions options_;
  std::map<std::string, std::shared_ptr<ServiceState>> services_;
  bool stopping_ = false;
  StrandEvent stopped_;  // notified by Shutdown: wakes the waits that would outlast it
  int tasks_ = 0;        // spawned tasks still running
  StrandEvent idle_;     // notified when tasks_ reaches 0 after Shutdown
};

}  // namespace lockstep::runtime
