// The decisions of one deployment, as pure bookkeeping in the engine's Plan style: the
// candidates of a release's handler chain are tried in order; the first one that becomes
// healthy before its deadline takes the route, the old release drains, and every candidate
// that failed is stopped with its reason recorded. The supervisor carries out the commands
// and feeds back what happened; it decides nothing itself. Thread-compatible.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace lockstep::runtime {

class DeploymentPlan {
 public:
  // What the supervisor is told to do next.
  struct StartCandidate {
    size_t candidate;
  };
  struct StopCandidate {
    size_t candidate;
    std::string reason;
  };
  struct SwitchRoute {  // the new release takes every new request
    size_t candidate;
  };
  struct DrainPrevious {};  // the old release finishes its requests, then stops
  struct Finished {
    bool succeeded;
  };
  using Command = std::variant<StartCandidate, StopCandidate, SwitchRoute, DrainPrevious, Finished>;

  // `candidates` are the handler names in chain order (at least one); `has_previous` says
  // whether a release is serving now (it drains after a cutover, and keeps serving after a
  // failure).
  DeploymentPlan(std::vector<std::string> candidates, bool has_previous);

  // The first command: start the first candidate.
  std::vector<Command> Begin();
  // The candidate passed its health check (its threshold reached).
  std::vector<Command> OnHealthy(size_t candidate);
  // The candidate's process ended before it became healthy, or could not start.
  std::vector<Command> OnExited(size_t candidate, const std::string& reason);
  // The candidate was not healthy by its deadline.
  std::vector<Command> OnDeadline(size_t candidate);

  bool finished() const { return finished_; }
  bool succeeded() const { return serving_.has_value(); }
  // The candidate that took the route, when one did.
  std::optional<size_t> serving() const { return serving_; }
  // Why each candidate that failed did not serve ("exited with status 1", "not healthy
  // within 30s"); empty for the others.
  const std::vector<std::string>& reasons() const { return reasons_; }
  const std::vector<std::string>& candidates() const { return candidates_; }

 private:
  // The candidate `candidate` failed for `reason`: stop it (unless it already ended) and try
  // the next, or finish.
  std::vector<Command> Fail(size_t candidate, const std::string& reason, bool stop);
  bool IsCurrent(size_t candidate) const { return !finished_ && candidate == current_; }

  std::vector<std::string> candidates_;
  std::vector<std::string> reasons_;
  bool has_previous_;
  size_t current_ = 0;
  bool started_ = false;
  bool finished_ = false;
  std::optional<size_t> serving_;
};

}  // namespace lockstep::runtime
