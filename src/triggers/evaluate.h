// Which workflows an event starts, and why, with CodeCatalyst's meaning of each trigger:
//
//   PUSH         Branches (the branch pushed to) and FilesChanged must both match; an absent
//                list matches anything.
//   PULLREQUEST  Events must contain the event; Branches match the destination branch;
//                FilesChanged as for PUSH.
//   SCHEDULE     never started by a push or a pull request (see schedule.h for its times).
//   MANUAL       never starts a run by itself.
//   (no Triggers) manual only.
//
// Within a list any entry matching is enough; a workflow fires when any of its triggers does.
// Patterns are regular expressions that must match the whole branch name or path (RE2 full
// match). The workflow validator rejects invalid patterns; one that still fails to compile
// here never matches and says so in the reasons.
//
// The event types are plain values filled in by the caller (the CLI reads them from git).
// TriggerEvaluator is immutable after construction; its methods are thread-safe.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "workflow/model.h"

namespace lockstep::triggers {

struct PushEvent {
  std::string branch;  // short name, e.g. "main" (not "refs/heads/main")
  // Paths relative to the repository root, '/'-separated. For a rename, both the old and the
  // new path.
  std::vector<std::string> changed_paths;
};

struct PullRequestEvent {
  std::string event;  // OPEN, REVISION or CLOSED, as in a trigger's Events (any case)
  std::string source_branch;
  std::string destination_branch;
  std::vector<std::string> changed_paths;  // as in PushEvent
};

struct TriggerDecision {
  bool fires = false;
  // When `fires`: one line for each trigger that fired. Otherwise: one line for each trigger
  // (in file order) saying why it did not, or "manual only (no Triggers)". Lines read like
  //   PUSH on main
  //   PULLREQUEST OPEN into main
  //   FilesChanged 'src/.*' matched src/app/main.cc
  //   branch 'release' not in [main]
  //   destination branch 'dev' not in [main, release-.*]
  //   event 'CLOSED' not in [OPEN, REVISION]
  //   no file matched FilesChanged [docs/.*]
  //   PULLREQUEST trigger does not start on a push
  //   PUSH trigger does not start on a pull request
  //   SCHEDULE trigger does not start on a push          (… on a pull request)
  //   MANUAL trigger: started by hand only
  //   invalid pattern '(' in Branches: missing ): (
  std::vector<std::string> reasons;
};

// The triggers of one workflow with their patterns compiled once, for evaluating many events.
class TriggerEvaluator {
 public:
  // Copies what it needs from `workflow`; the workflow need not outlive the evaluator.
  explicit TriggerEvaluator(const workflow::Workflow& workflow);
  ~TriggerEvaluator();
  TriggerEvaluator(TriggerEvaluator&&) noexcept;
  TriggerEvaluator& operator=(TriggerEvaluator&&) noexcept;

  TriggerDecision EvaluatePush(const PushEvent& event) const;
  TriggerDecision EvaluatePullRequest(const PullRequestEvent& event) const;

 private:
  struct CompiledTrigger;
  std::vector<std::unique_ptr<CompiledTrigger>> triggers_;
};

// One-shot forms of TriggerEvaluator's methods.
TriggerDecision EvaluatePush(const workflow::Workflow& workflow, const PushEvent& event);
TriggerDecision EvaluatePullRequest(const workflow::Workflow& workflow,
                                    const PullRequestEvent& event);

}  // namespace lockstep::triggers
