#include "store/store.h"

#include <array>
#include <chrono>
#include <utility>

#include "store/enum_names.h"

namespace lockstep::store {
namespace {

// Indexed by the enumerator's value; the names are what the database stores, so they never
// change once released.
constexpr std::array<std::string_view, 6> kRunStateNames = {"queued", "running",   "succeeded",
                                                            "failed", "cancelled", "interrupted"};
constexpr std::array<std::string_view, 8> kActionStateNames = {
    "pending", "ready", "running", "succeeded", "failed", "skipped", "cancelled", "interrupted"};
constexpr std::array<std::string_view, 3> kRunModeNames = {"queued", "superseded", "parallel"};

}  // namespace

std::string_view ToString(RunState state) { return kRunStateNames[std::to_underlying(state)]; }

std::string_view ToString(ActionState state) {
  return kActionStateNames[std::to_underlying(state)];
}

std::string_view ToString(RunMode mode) { return kRunModeNames[std::to_underlying(mode)]; }

std::optional<RunState> ParseRunState(std::string_view text) {
  return ParseName<RunState>(kRunStateNames, text);
}

std::optional<ActionState> ParseActionState(std::string_view text) {
  return ParseName<ActionState>(kActionStateNames, text);
}

bool IsFinal(RunState state) { return state != RunState::kQueued && state != RunState::kRunning; }

bool IsFinal(ActionState state) {
  return state != ActionState::kPending && state != ActionState::kReady &&
         state != ActionState::kRunning;
}

TimeMs NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace lockstep::store
