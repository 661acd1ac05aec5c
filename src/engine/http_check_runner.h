// Runs a CheckSuite against a server: checks in order, each retried every Interval until it
// passes or the suite's Deadline passes; the first check that never passes ends the run and
// the checks after it do not run. Requests go through http::Fetch. Blocking; thread-safe
// (nothing is shared between calls).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "engine/http_checks.h"
#include "http/client.h"

namespace lockstep::engine {

struct CheckResult {
  std::string label;  // HttpCheck::Label()
  enum class State { kPassed, kFailed, kNotRun } state = State::kNotRun;
  int attempts = 0;
  std::optional<int> status;  // of the last response, when one came
  std::chrono::milliseconds duration{0};
  std::string failure;  // the last attempt's reason, when it failed
};

struct SuiteResult {
  bool passed = false;
  std::vector<CheckResult> checks;  // parallel to the suite's checks
  // When not passed: "check 'LABEL' failed after N attempts in 30s: REASON".
  std::string failure;
};

struct RunChecksOptions {
  // The longest one request may take; less when less of the Deadline is left. Default 10 s.
  std::chrono::milliseconds request_timeout{10'000};
  // Called after each check that ran, with its result, from the calling thread.
  std::function<void(const CheckResult&)> on_check_done;
};

// Runs `suite`'s checks against `base`, starting with the variables in `given`. Each check is
// tried at least once, even when an earlier one used up the Deadline.
SuiteResult RunChecks(const CheckSuite& suite, const http::Url& base, const Variables& given,
                      const RunChecksOptions& options = {});

}  // namespace lockstep::engine
