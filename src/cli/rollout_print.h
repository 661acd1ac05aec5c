// How the rollout commands show a rollout: a line per step as it happens (`lockstep up`), and
// the whole rollout as a tree with timings (`lockstep rollout ID`), from the API's JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace lockstep::cli {

// "1.2s", "350ms", "" for null.
std::string FormatMilliseconds(const nlohmann::ordered_json& milliseconds);

// One line for a step: "  ✓ sync  registry-api:src -> … (0.4s)  incremental: …".
std::string StepLine(const nlohmann::ordered_json& step);

// The rollout as a tree: header, strategy, steps grouped by kind, outcome.
std::string RolloutTree(const nlohmann::ordered_json& rollout);

}  // namespace lockstep::cli
