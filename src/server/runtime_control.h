// coord::RuntimeControl for a rollout thread, carried out by the server's supervisor on its
// event loop (the calls block the rollout's thread, never the loop). Thread-safe.
#pragma once

#include <boost/asio/io_context.hpp>

#include "coord/rollout.h"
#include "runtime/supervisor.h"
#include "store/runtime_store.h"

namespace lockstep::server {

class SupervisorControl final : public coord::RuntimeControl {
 public:
  SupervisorControl(boost::asio::io_context& io, runtime::Supervisor& supervisor,
                    store::RuntimeStore& store)
      : io_(io), supervisor_(supervisor), store_(store) {}

  Result<std::map<std::string, std::string>> ServingReleases() override;
  Result<std::vector<coord::ServiceDeployment>> DeploymentsSince(store::TimeMs since) override;
  Result<void> Rollback(const std::string& service, const std::string& release,
                        const std::string& actor) override;

 private:
  boost::asio::io_context& io_;
  runtime::Supervisor& supervisor_;
  store::RuntimeStore& store_;
};

}  // namespace lockstep::server
