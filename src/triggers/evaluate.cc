#include "triggers/evaluate.h"

#include <fmt/core.h>
#include <re2/re2.h>

#include <algorithm>
#include <optional>

#include "base/strings.h"

namespace lockstep::triggers {

using workflow::TriggerType;

namespace {

// A Branches or FilesChanged list. `absent` lists match anything, as in CodeCatalyst.
struct PatternList {
  bool absent = true;
  std::vector<std::string> texts;
  std::vector<std::unique_ptr<RE2>> regexes;  // parallel to `texts`; null when invalid
  std::vector<std::string> errors;            // one line for each pattern that did not compile

  static PatternList Compile(const std::vector<workflow::Located<std::string>>& patterns,
                             std::string_view key) {
    PatternList list;
    list.absent = patterns.empty();
    RE2::Options options;
    options.set_log_errors(false);
    for (const auto& pattern : patterns) {
      list.texts.push_back(pattern.value);
      auto regex = std::make_unique<RE2>(pattern.value, options);
      if (!regex->ok()) {
        list.errors.push_back(
            fmt::format("invalid pattern '{}' in {}: {}", pattern.value, key, regex->error()));
        regex.reset();
      }
      list.regexes.push_back(std::move(regex));
    }
    return list;
  }

  // The first pattern that matches all of `text`, or nullptr.
  const std::string* Match(std::string_view text) const {
    for (size_t i = 0; i < regexes.size(); ++i) {
      if (regexes[i] && RE2::FullMatch(text, *regexes[i])) return &texts[i];
    }
    return nullptr;
  }

  std::string Describe() const { return "[" + Join(texts, ", ") + "]"; }
};

std::string_view TypeName(TriggerType type) {
  switch (type) {
    case TriggerType::kPush:
      return "PUSH";
    case TriggerType::kPullRequest:
      return "PULLREQUEST";
    case TriggerType::kSchedule:
      return "SCHEDULE";
    case TriggerType::kManual:
      return "MANUAL";
  }
  return "?";
}

// One trigger's verdict: whether it fired and the one line that says why.
struct Verdict {
  bool fires = false;
  std::string reason;
};

}  // namespace

struct TriggerEvaluator::CompiledTrigger {
  TriggerType type;
  PatternList branches;
  PatternList files_changed;
  std::vector<std::string> events;

  // Checks the branch (named `what` in the reason) and the changed files; `fired` is the
  // reason used when both match and no FilesChanged list narrowed the trigger.
  Verdict Match(std::string_view branch, std::string_view what,
                const std::vector<std::string>& changed_paths, std::string fired) const {
    if (!branches.errors.empty() && !branches.Match(branch)) {
      return {false, branches.errors.front()};
    }
    if (!branches.absent && !branches.Match(branch)) {
      return {false, fmt::format("{} '{}' not in {}", what, branch, branches.Describe())};
    }
    if (files_changed.absent) return {true, std::move(fired)};
    for (const std::string& path : changed_paths) {
      if (const std::string* pattern = files_changed.Match(path)) {
        return {true, fmt::format("FilesChanged '{}' matched {}", *pattern, path)};
      }
    }
    if (!files_changed.errors.empty()) return {false, files_changed.errors.front()};
    return {false, fmt::format("no file matched FilesChanged {}", files_changed.Describe())};
  }

  // The verdict of a trigger whose type does not react to the event at all.
  std::optional<Verdict> Inert(TriggerType event_type, std::string_view on_what) const {
    if (type == event_type) return std::nullopt;
    if (type == TriggerType::kManual) return Verdict{false, "MANUAL trigger: started by hand only"};
    return Verdict{false, fmt::format("{} trigger does not start on {}", TypeName(type), on_what)};
  }
};

TriggerEvaluator::TriggerEvaluator(const workflow::Workflow& workflow) {
  for (const workflow::Trigger& trigger : workflow.triggers) {
    auto compiled = std::make_unique<CompiledTrigger>();
    compiled->type = trigger.type;
    compiled->branches = PatternList::Compile(trigger.branches, "Branches");
    compiled->files_changed = PatternList::Compile(trigger.files_changed, "FilesChanged");
    compiled->events = trigger.events;
    triggers_.push_back(std::move(compiled));
  }
}

TriggerEvaluator::~TriggerEvaluator() = default;
TriggerEvaluator::TriggerEvaluator(TriggerEvaluator&&) noexcept = default;
TriggerEvaluator& TriggerEvaluator::operator=(TriggerEvaluator&&) noexcept = default;

namespace {

// Keeps the reasons of the triggers that fired when any did, else every trigger's reason.
TriggerDecision Combine(const std::vector<Verdict>& verdicts) {
  TriggerDecision decision;
  if (verdicts.empty()) {
    decision.reasons.push_back("manual only (no Triggers)");
    return decision;
  }
  decision.fires = std::any_of(verdicts.begin(), verdicts.end(),
                               [](const Verdict& verdict) { return verdict.fires; });
  for (const Verdict& verdict : verdicts) {
    if (verdict.fires == decision.fires) decision.reasons.push_back(verdict.reason);
  }
  return decision;
}

}  // namespace

TriggerDecision TriggerEvaluator::EvaluatePush(const PushEvent& event) const {
  std::vector<Verdict> verdicts;
  for (const auto& trigger : triggers_) {
    if (auto inert = trigger->Inert(TriggerType::kPush, "a push")) {
      verdicts.push_back(std::move(*inert));
      continue;
    }
    verdicts.push_back(trigger->Match(event.branch, "branch", event.changed_paths,
                                      fmt::format("PUSH on {}", event.branch)));
  }
  return Combine(verdicts);
}

TriggerDecision TriggerEvaluator::EvaluatePullRequest(const PullRequestEvent& event) const {
  // The model holds Events in upper case (the reader normalises them); so does this.
  std::string name = AsciiUpper(event.event);
  std::vector<Verdict> verdicts;
  for (const auto& trigger : triggers_) {
    if (auto inert = trigger->Inert(TriggerType::kPullRequest, "a pull request")) {
      verdicts.push_back(std::move(*inert));
      continue;
    }
    if (std::find(trigger->events.begin(), trigger->events.end(), name) == trigger->events.end()) {
      verdicts.push_back(
          {false, fmt::format("event '{}' not in [{}]", name, Join(trigger->events, ", "))});
      continue;
    }
    verdicts.push_back(
        trigger->Match(event.destination_branch, "destination branch", event.changed_paths,
                       fmt::format("PULLREQUEST {} into {}", name, event.destination_branch)));
  }
  return Combine(verdicts);
}

TriggerDecision EvaluatePush(const workflow::Workflow& workflow, const PushEvent& event) {
  return TriggerEvaluator(workflow).EvaluatePush(event);
}

TriggerDecision EvaluatePullRequest(const workflow::Workflow& workflow,
                                    const PullRequestEvent& event) {
  return TriggerEvaluator(workflow).EvaluatePullRequest(event);
}

}  // namespace lockstep::triggers
