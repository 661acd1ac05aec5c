// `lockstep verify --checks FILE [--base-url URL] [--from-env NAME]… [--json]`: HTTP checks
// against the gateway (or any base URL), each retried until it passes or the deadline passes.
// lockstep/verify@v1 runs this command as its step.
#include <fmt/core.h>

#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/duration.h"
#include "base/file.h"
#include "base/state_directory.h"
#include "cli/command.h"
#include "engine/http_check_runner.h"
#include "engine/http_checks.h"
#include "http/client.h"
#include "server/instance.h"

namespace lockstep::cli {
namespace {

namespace fs = std::filesystem;
using engine::CheckResult;

struct VerifyOptions {
  std::string checks_file;
  std::string base_url;
  std::vector<std::string> from_env;
  bool json = false;
};

int Report(const std::string& message, int code = kExitFailure) {
  fmt::print(stderr, "lockstep: error: {}\n", message);
  return code;
}

// --base-url, else the file's BaseUrl, else $LOCKSTEP_GATEWAY_URL, else the gateway of the
// lockstep serve running for this state directory.
Result<http::Url> BaseUrl(const VerifyOptions& options, const engine::CheckSuite& suite) {
  std::string text = options.base_url;
  if (text.empty()) text = suite.base_url;
  if (text.empty()) {
    if (const char* url = std::getenv("LOCKSTEP_GATEWAY_URL"); url != nullptr && *url != '\0') {
      text = url;
    }
  }
  if (text.empty()) {
    const char* kWhere =
        "pass --base-url, set BaseUrl in the checks file or LOCKSTEP_GATEWAY_URL, or start "
        "lockstep serve";
    Result<fs::path> state = FindStateDirectory(fs::current_path());
    if (!state) {
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("no base URL: {} ({})", kWhere, state.error().message()));
    }
    Result<server::ServerAddress> server = server::FindServer(*state);
    if (!server && server.error().code() == ErrorCode::kUnavailable) {
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("no base URL: {} (none is running for {})", kWhere, state->string()));
    }
    if (!server) return std::unexpected(server.error());
    text = "http://" + server->gateway;
  }
  return http::ParseUrl(text);
}

std::string_view StateName(CheckResult::State state) {
  switch (state) {
    case CheckResult::State::kPassed:
      return "passed";
    case CheckResult::State::kFailed:
      return "failed";
    case CheckResult::State::kNotRun:
      break;
  }
  return "not run";
}

void PrintCheck(const CheckResult& check) {
  std::string detail =
      fmt::format("{} attempt{}, {}", check.attempts, check.attempts == 1 ? "" : "s",
                  DescribeDuration(check.duration));
  if (check.status) detail = fmt::format("{}, {}", *check.status, detail);
  bool passed = check.state == CheckResult::State::kPassed;
  fmt::print("  {:<6}  {}  ({})\n", passed ? "ok" : "FAILED", check.label, detail);
  if (!passed) fmt::print("          {}\n", check.failure);
  std::fflush(stdout);
}

void PrintJson(const http::Url& base, const engine::SuiteResult& result) {
  nlohmann::ordered_json checks = nlohmann::ordered_json::array();
  for (const CheckResult& check : result.checks) {
    nlohmann::ordered_json entry = {{"name", check.label},
                                    {"result", StateName(check.state)},
                                    {"attempts", check.attempts},
                                    {"duration_ms", check.duration.count()}};
    entry["status"] = check.status ? nlohmann::ordered_json(*check.status) : nullptr;
    if (check.state == CheckResult::State::kFailed) entry["failure"] = check.failure;
    checks.push_back(std::move(entry));
  }
  nlohmann::ordered_json out = {
      {"base_url", base.ToString()}, {"passed", result.passed}, {"checks", std::move(checks)}};
  if (!result.passed) out["failure"] = result.failure;
  fmt::print("{}\n", out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace));
}

int Run(const VerifyOptions& options) {
  engine::Variables given;
  for (const std::string& name : options.from_env) {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) {
      return Report(fmt::format("--from-env {}: the environment variable is not set", name),
                    kExitUsage);
    }
    given[name] = value;
  }
  Result<std::string> text = ReadFile(options.checks_file);
  if (!text) return Report(text.error().message());
  Result<engine::CheckSuite> suite = engine::ParseCheckSuite(*text, options.from_env);
  if (!suite) return Report(fmt::format("{}: {}", options.checks_file, suite.error().message()));
  Result<http::Url> base = BaseUrl(options, *suite);
  if (!base) return Report(base.error().message());

  engine::RunChecksOptions run_options;
  if (!options.json) {
    size_t count = suite->checks.size();
    fmt::print("verify: {} check{} against {} (deadline {}, retry every {})\n", count,
               count == 1 ? "" : "s", base->ToString(), DescribeDuration(suite->deadline),
               DescribeDuration(suite->interval));
    std::fflush(stdout);
    run_options.on_check_done = PrintCheck;
  }
  engine::SuiteResult result = engine::RunChecks(*suite, *base, given, run_options);
  if (options.json) {
    PrintJson(*base, result);
  } else {
    for (const CheckResult& check : result.checks) {
      if (check.state == CheckResult::State::kNotRun) fmt::print("  {:<6}  {}\n", "-", check.label);
    }
    size_t count = result.checks.size();
    if (result.passed) fmt::print("{} check{} passed\n", count, count == 1 ? "" : "s");
  }
  if (!result.passed) return Report(result.failure);
  return kExitSuccess;
}

}  // namespace

CommandSpec VerifyCommand() {
  return {"verify", "Run HTTP checks against the gateway, retrying until they pass",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            auto options = std::make_shared<VerifyOptions>();
            app.add_option("--checks", options->checks_file,
                           "The checks, a JSON file (see docs/verify.md)")
                ->required();
            app.add_option("--base-url", options->base_url,
                           "Where to send the checks, http://HOST[:PORT][/PREFIX] (default: "
                           "BaseUrl in the file, $LOCKSTEP_GATEWAY_URL, or the running server's "
                           "gateway)");
            app.add_option("--from-env", options->from_env,
                           "Let the checks use ${NAME} for the environment variable NAME "
                           "(repeatable; for secrets, which do not belong in the file)")
                ->allow_extra_args(false);
            app.add_flag("--json", options->json, "Print the result as JSON");
            return [options] { return Run(*options); };
          }};
}

}  // namespace lockstep::cli
