#include "engine/native_verify.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>

#include "base/duration.h"
#include "engine/step_script.h"
#include "engine/substitute.h"
#include "workflow/references.h"
#include "yaml/scalar_json.h"

namespace lockstep::engine {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kHeredocEnd = "LOCKSTEP_VERIFY_CHECKS";

// Reads a Configuration into a CheckSuite. The validator has checked shapes and types (with
// positions); what it would report is refused here too, in one line, for files that were
// not validated.
class ConfigurationReader {
 public:
  ConfigurationReader(const workflow::Action& action, std::vector<std::string>& references)
      : action_(action), references_(references) {}

  Result<CheckSuite> Read() {
    const yaml::Node& configuration = action_.configuration;
    if (!configuration.IsMap()) return Problem("needs a Configuration with Checks");
    CheckSuite suite;
    if (const yaml::Node* base = configuration.Find("BaseUrl")) {
      auto value = String(*base, "BaseUrl");
      if (!value) return std::unexpected(value.error());
      suite.base_url = std::move(*value);
    }
    for (auto [key, field] :
         {std::pair{"Deadline", &suite.deadline}, std::pair{"Interval", &suite.interval}}) {
      if (const yaml::Node* node = configuration.Find(key)) {
        auto text = String(*node, key);
        if (!text) return std::unexpected(text.error());
        auto duration = ParseDuration(*text);
        if (!duration) return Problem(fmt::format("'{}': {}", key, duration.error().message()));
        *field = *duration;
      }
    }
    const yaml::Node* checks = configuration.Find("Checks");
    if (checks == nullptr || !checks->IsSequence() || checks->items.empty()) {
      return Problem("'Checks' must list at least one check");
    }
    for (const yaml::Node& node : checks->items) {
      auto check = Check(node);
      if (!check) return std::unexpected(check.error());
      suite.checks.push_back(std::move(*check));
    }
    return suite;
  }

 private:
  Result<HttpCheck> Check(const yaml::Node& node) {
    if (!node.IsMap()) return Problem("each check must be a mapping");
    HttpCheck check;
    for (auto [key, field] : {std::pair{"Name", &check.name}, std::pair{"Method", &check.method},
                              std::pair{"Path", &check.path}, std::pair{"Body", &check.body}}) {
      if (const yaml::Node* value = node.Find(key)) {
        auto text = String(*value, key);
        if (!text) return std::unexpected(text.error());
        *field = std::move(*text);
      }
    }
    std::string path = Hoist(check.path);
    if (check.name.empty() && path != check.path) {
      // The label shows the reference, not the variable that carries it (which would mean
      // nothing to the reader), and not as ${…}, which the heredoc must not hold.
      check.name = check.method + " " + SubstituteReferences(check.path, [](std::string_view ref) {
                     return fmt::format("<{}>", ref);
                   });
    }
    check.path = std::move(path);
    check.body = Hoist(check.body);
    if (const yaml::Node* expect = node.Find("ExpectBody")) {
      auto text = String(*expect, "ExpectBody");
      if (!text) return std::unexpected(text.error());
      check.expect_body = Hoist(*text);
    }
    if (const yaml::Node* status = node.Find("ExpectStatus")) {
      int value = 0;
      auto [end, error] =
          std::from_chars(status->value.data(), status->value.data() + status->value.size(), value);
      if (!status->IsScalar() || error != std::errc() ||
          end != status->value.data() + status->value.size()) {
        return Problem("'ExpectStatus' must be a whole number");
      }
      check.expect_status = value;
    }
    auto headers = Pairs(node, "Headers");
    if (!headers) return std::unexpected(headers.error());
    for (auto& [name, value] : *headers) check.headers.emplace_back(name, Hoist(value));
    auto captures = Pairs(node, "Capture");
    if (!captures) return std::unexpected(captures.error());
    check.captures = std::move(*captures);
    if (const yaml::Node* expect = node.Find("ExpectJson")) {
      if (!expect->IsMap()) return Problem("'ExpectJson' must be a mapping");
      for (const yaml::MapEntry& entry : expect->entries) {
        auto json = ScalarJson(entry.value);
        if (!json) return std::unexpected(json.error());
        check.expect_json.emplace_back(entry.key.value, std::move(*json));
      }
    }
    return check;
  }

  // A YAML scalar as JSON text (yaml/scalar_json.h); a mapping or list is refused.
  Result<std::string> ScalarJson(const yaml::Node& node) {
    if (!node.IsNull() && !node.IsScalar()) return Problem("'ExpectJson' values must be scalars");
    return yaml::ScalarAsJson(node);
  }

  Result<std::vector<NameValue>> Pairs(const yaml::Node& check, std::string_view key) {
    std::vector<NameValue> out;
    const yaml::Node* node = check.Find(key);
    if (node == nullptr || node->IsNull()) return out;
    if (!node->IsMap()) return Problem(fmt::format("'{}' must be a mapping", key));
    for (const yaml::MapEntry& entry : node->entries) {
      auto value = String(entry.value, entry.key.value);
      if (!value) return std::unexpected(value.error());
      out.emplace_back(entry.key.value, std::move(*value));
    }
    return out;
  }

  Result<std::string> String(const yaml::Node& node, std::string_view key) {
    if (!node.IsScalar()) return Problem(fmt::format("'{}' must be a string", key));
    return node.value;
  }

  // `text` with each workflow reference replaced by the variable that will carry its value.
  std::string Hoist(std::string_view text) {
    return SubstituteReferences(text, [&](std::string_view reference) {
      auto it = std::ranges::find(references_, reference);
      if (it == references_.end()) {
        references_.emplace_back(reference);
        it = references_.end() - 1;
      }
      return fmt::format("${{LOCKSTEP_VERIFY_{}}}", it - references_.begin() + 1);
    });
  }

  std::unexpected<Error> Problem(std::string_view what) const {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("action '{}': lockstep/verify@v1 {}", action_.name, what));
  }

  const workflow::Action& action_;
  std::vector<std::string>& references_;
};

// A reference that may be written into the step as `"${…}"`: the validator's names only.
bool IsPlainReference(std::string_view reference) {
  return std::ranges::all_of(reference, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

}  // namespace

Result<CheckSuite> SuiteFromConfiguration(const workflow::Action& action,
                                          std::vector<std::string>& references) {
  return ConfigurationReader(action, references).Read();
}

Result<std::string> VerifyStep(const workflow::Action& action, const fs::path& executable,
                               const fs::path& state_directory, std::string_view gateway_url) {
  std::vector<std::string> references;
  Result<CheckSuite> suite = SuiteFromConfiguration(action, references);
  if (!suite) return std::unexpected(suite.error());
  std::string checks = CheckSuiteToJson(*suite);
  std::vector<std::string> given;
  for (size_t i = 1; i <= references.size(); ++i) {
    given.push_back(fmt::format("LOCKSTEP_VERIFY_{}", i));
  }
  // The same rules `lockstep verify` applies, now rather than when the step runs.
  if (auto parsed = ParseCheckSuite(checks, given); !parsed) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("action '{}': {}", action.name, parsed.error().message()));
  }
  // What is left would be replaced inside the heredoc, where nothing expands it.
  if (std::vector<std::string> left = FindReferences(checks); !left.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("action '{}': lockstep/verify@v1 takes workflow references such as "
                            "${{{}}} only in Path, Body, Headers and ExpectBody",
                            action.name, left.front()));
  }
  std::string step = fmt::format("# lockstep/verify@v1: {} check{}\n", suite->checks.size(),
                                 suite->checks.size() == 1 ? "" : "s");
  std::string command = fmt::format("LOCKSTEP_HOME={} ", ShellQuote(state_directory.string()));
  if (!gateway_url.empty()) {
    command += fmt::format("LOCKSTEP_GATEWAY_URL={} ", ShellQuote(gateway_url));
  }
  command += fmt::format("{} verify --checks \"$__lockstep_verify_checks\"",
                         ShellQuote(executable.string()));
  for (size_t i = 0; i < references.size(); ++i) {
    if (!IsPlainReference(references[i])) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("action '{}': '${{{}}}' is not a reference lockstep/verify@v1 can "
                              "use",
                              action.name, references[i]));
    }
    // Double quotes: the value is one word and never read as code; the engine replaces the
    // reference by an expansion of the variable that carries it.
    step += fmt::format("export {}=\"${{{}}}\"\n", given[i], references[i]);
    command += fmt::format(" --from-env {}", given[i]);
  }
  // The JSON is one line (line breaks in values are escaped), so it cannot end the heredoc.
  step += fmt::format(
      "__lockstep_verify_checks=\"$TMPDIR/lockstep-verify-checks.json\"\n"
      "cat > \"$__lockstep_verify_checks\" <<'{}'\n{}\n{}\n{}\n",
      kHeredocEnd, checks, kHeredocEnd, command);
  return step;
}

}  // namespace lockstep::engine
