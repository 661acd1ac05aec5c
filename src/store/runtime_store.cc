#include "store/runtime_store.h"

#include <array>
#include <utility>

#include "store/enum_names.h"

namespace lockstep::store {
namespace {

// Indexed by the enumerator's value; the names are what the database stores, so they never
// change once released.
constexpr std::array<std::string_view, 4> kDeploymentKindNames = {"deploy", "rollback", "failover",
                                                                  "restore"};
constexpr std::array<std::string_view, 5> kDeploymentStateNames = {"queued", "running", "succeeded",
                                                                   "failed", "interrupted"};

}  // namespace

std::string_view ToString(DeploymentKind kind) {
  return kDeploymentKindNames[std::to_underlying(kind)];
}

std::string_view ToString(DeploymentState state) {
  return kDeploymentStateNames[std::to_underlying(state)];
}

std::optional<DeploymentKind> ParseDeploymentKind(std::string_view text) {
  return ParseName<DeploymentKind>(kDeploymentKindNames, text);
}

std::optional<DeploymentState> ParseDeploymentState(std::string_view text) {
  return ParseName<DeploymentState>(kDeploymentStateNames, text);
}

}  // namespace lockstep::store
