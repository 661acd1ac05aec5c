#include "engine/http_check_runner.h"

#include <fmt/core.h>

#include <thread>

#include "base/duration.h"

namespace lockstep::engine {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// One attempt at `check`: the request, then the verdict on its response.
CheckVerdict Attempt(const HttpCheck& check, const http::Url& base, const Variables& variables,
                     milliseconds timeout, std::optional<int>& status) {
  Result<CheckRequest> prepared = PrepareRequest(check, variables);
  if (!prepared) return CheckVerdict{false, prepared.error().message(), {}};
  http::ClientRequest request;
  request.method = prepared->method;
  request.target = prepared->target;
  request.body = std::move(prepared->body);
  for (auto& [name, value] : prepared->headers) request.headers.Add(name, std::move(value));
  Result<http::ClientResponse> response = http::Fetch(base, request, timeout);
  if (!response) return CheckVerdict{false, response.error().message(), {}};
  status = response->status;
  return EvaluateResponse(check, variables, response->status, response->body);
}

}  // namespace

SuiteResult RunChecks(const CheckSuite& suite, const http::Url& base, const Variables& given,
                      const RunChecksOptions& options) {
  const Clock::time_point start = Clock::now();
  const Clock::time_point deadline = start + suite.deadline;
  SuiteResult result;
  for (const HttpCheck& check : suite.checks) {
    CheckResult entry;
    entry.label = check.Label();
    result.checks.push_back(std::move(entry));
  }
  Variables variables = given;
  for (size_t i = 0; i < suite.checks.size(); ++i) {
    const HttpCheck& check = suite.checks[i];
    CheckResult& outcome = result.checks[i];
    const Clock::time_point check_start = Clock::now();
    while (true) {
      const Clock::time_point attempt_start = Clock::now();
      // At least a little time for a request, even past the deadline: every check is tried.
      milliseconds left = std::max(
          std::chrono::duration_cast<milliseconds>(deadline - attempt_start), milliseconds(100));
      ++outcome.attempts;
      CheckVerdict verdict =
          Attempt(check, base, variables, std::min(options.request_timeout, left), outcome.status);
      if (verdict.passed) {
        outcome.state = CheckResult::State::kPassed;
        outcome.failure.clear();
        for (auto& [name, value] : verdict.captured) variables[name] = std::move(value);
        break;
      }
      outcome.failure = std::move(verdict.failure);
      // The next attempt starts an Interval after this one started, if the deadline allows.
      const Clock::time_point next = attempt_start + suite.interval;
      if (next >= deadline) {
        outcome.state = CheckResult::State::kFailed;
        break;
      }
      std::this_thread::sleep_until(next);
    }
    outcome.duration = Since(check_start);
    if (options.on_check_done) options.on_check_done(outcome);
    if (outcome.state == CheckResult::State::kFailed) {
      result.failure = fmt::format("check '{}' failed after {} attempt{} in {}: {}", outcome.label,
                                   outcome.attempts, outcome.attempts == 1 ? "" : "s",
                                   DescribeDuration(Since(start)), outcome.failure);
      return result;
    }
  }
  result.passed = true;
  return result;
}

}  // namespace lockstep::engine
