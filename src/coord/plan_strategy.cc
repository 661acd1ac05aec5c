// The plan in words: what changed, then the steps in order, e.g.
//   "registry-api changed: sync -> registry-infrastructure -> registry-frontend"
//   "a, b changed: a + b in parallel -> c"
// A stage is named by the repositories in it whose workflows fire (a repository where
// nothing runs is left out of the sentence, though the plan lists it); a sync into a stage's
// repositories is the step before it.
#include <fmt/core.h>

#include <algorithm>

#include "base/strings.h"
#include "coord/plan_steps.h"

namespace lockstep::coord {
namespace {

constexpr size_t kNamesShown = 3;

// "a", "a, b", "a, b, c", "a, b, c and 4 more".
std::string Names(const std::vector<std::string>& names, std::string_view separator) {
  std::vector<std::string> shown(
      names.begin(),
      names.begin() + static_cast<std::ptrdiff_t>(std::min(names.size(), kNamesShown)));
  std::string text = Join(shown, separator);
  if (names.size() > kNamesShown) text += fmt::format(" and {} more", names.size() - kNamesShown);
  return text;
}

}  // namespace

std::string Strategy(const Plan& plan, size_t repository_count) {
  if (plan.changes.empty()) return "nothing changed";
  std::string what;
  bool first = std::ranges::all_of(
      plan.changes, [](const RepositoryChange& change) { return change.note == "first rollout"; });
  if (first && plan.changes.size() == repository_count) {
    what = "first rollout";
  } else {
    std::vector<std::string> names;
    for (const RepositoryChange& change : plan.changes) names.push_back(change.repository);
    what = Names(names, ", ") + " changed";
  }
  std::vector<std::string> steps;
  for (const std::vector<std::string>& stage : plan.stages) {
    bool syncs = false;
    std::vector<std::string> running;
    for (const std::string& name : stage) {
      const PlannedRepository* repository = plan.FindRepository(name);
      if (repository == nullptr) continue;
      syncs = syncs || !repository->syncs_in.empty();
      if (!repository->workflows.empty()) running.push_back(name);
    }
    if (syncs) steps.push_back("sync");
    if (running.size() == 1) steps.push_back(running.front());
    if (running.size() > 1) steps.push_back(Names(running, " + ") + " in parallel");
  }
  bool runs = std::ranges::any_of(steps, [](const std::string& step) { return step != "sync"; });
  std::string text = Join(steps, " -> ");
  if (!runs) text += steps.empty() ? "no workflow fires" : " -> no workflow fires";
  return fmt::format("{}: {}", what, text);
}

}  // namespace lockstep::coord
