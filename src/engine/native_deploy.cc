#include "engine/native_deploy.h"

#include <fmt/core.h>

#include <algorithm>
#include <optional>

#include "base/duration.h"
#include "engine/step_script.h"

namespace lockstep::engine {
namespace {

namespace fs = std::filesystem;

bool IsPlain(char c, std::string_view also) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         also.find(c) != std::string_view::npos;
}

// The API's own rule for a service name (it becomes a URL path segment as it is).
bool IsServiceName(std::string_view name) {
  return !name.empty() && name.size() <= 63 && name.front() != '.' && name.front() != '-' &&
         std::ranges::all_of(name, [](char c) { return IsPlain(c, "-_."); });
}

// What a deploy step needs from the Configuration, read and checked in one place.
struct DeployConfiguration {
  std::string service;
  std::string artifact;  // the first input artifact: the release
  std::optional<std::string> route;
  bool strip_prefix = false;
  bool static_site = false;
  bool spa = false;
  std::optional<std::string> health_path;
  std::optional<std::string> start_timeout;
};

// Reads the Configuration. The validator has checked it with positions; what it would report
// is refused here too, in one line, for files that were not validated.
class ConfigurationReader {
 public:
  explicit ConfigurationReader(const workflow::Action& action) : action_(action) {}

  Result<DeployConfiguration> Read() {
    DeployConfiguration out;
    if (action_.input_artifacts.empty()) {
      return Problem("needs an input artifact: the release is the root of the first one");
    }
    out.artifact = action_.input_artifacts.front().value;
    // It is read as $CATALYST_SOURCE_DIR_<artifact>, so it must make a variable name.
    if (!std::ranges::all_of(out.artifact, [](char c) { return IsPlain(c, "_"); })) {
      return Problem(
          fmt::format("cannot use the artifact name '{}' (letters, digits and '_')", out.artifact));
    }
    const yaml::Node& configuration = action_.configuration;
    if (!configuration.IsMap()) return Problem("needs a Configuration with Service");
    auto service = Text("Service");
    if (!service) return std::unexpected(service.error());
    if (!*service) return Problem("needs Configuration Service");
    if (!IsServiceName(**service)) {
      return Problem(
          fmt::format("'Service' must be a service name (letters, digits, '-', '_', "
                      "'.'), found '{}'",
                      **service));
    }
    out.service = std::move(**service);

    auto route = Text("Route");
    if (!route) return std::unexpected(route.error());
    out.route = std::move(*route);
    auto kind = Text("Kind");
    if (!kind) return std::unexpected(kind.error());
    if (*kind && **kind != "http" && **kind != "static") {
      return Problem(fmt::format("'Kind' must be http or static, found '{}'", **kind));
    }
    out.static_site = *kind == "static";
    auto health = Text("HealthPath");
    if (!health) return std::unexpected(health.error());
    out.health_path = std::move(*health);
    auto timeout = Text("StartTimeout");
    if (!timeout) return std::unexpected(timeout.error());
    if (*timeout) {
      if (auto parsed = ParseDuration(**timeout); !parsed) {
        return Problem(fmt::format("'StartTimeout': {}", parsed.error().message()));
      }
    }
    out.start_timeout = std::move(*timeout);
    auto strip = Flag("StripPrefix");
    if (!strip) return std::unexpected(strip.error());
    out.strip_prefix = *strip;
    auto spa = Flag("Spa");
    if (!spa) return std::unexpected(spa.error());
    out.spa = *spa;

    // As `lockstep deploy`: these define the service as a whole, which starts with its route.
    if (!out.route) {
      for (std::string_view key : {"StripPrefix", "Kind", "Spa", "HealthPath", "StartTimeout"}) {
        if (configuration.Find(key) != nullptr) {
          return Problem(fmt::format("'{}' needs 'Route': together they define the service", key));
        }
      }
    }
    return out;
  }

 private:
  // The string under `key`, nullopt when absent. Values reach the log and a command line:
  // no control characters (a line break) at all.
  Result<std::optional<std::string>> Text(std::string_view key) const {
    const yaml::Node* node = action_.configuration.Find(key);
    if (node == nullptr || node->IsNull()) return std::optional<std::string>();
    if (!node->IsScalar()) return Problem(fmt::format("'{}' must be a string", key));
    if (std::ranges::any_of(node->value,
                            [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
      return Problem(fmt::format("'{}' contains a control character (a line break?)", key));
    }
    return std::optional<std::string>(node->value);
  }

  Result<bool> Flag(std::string_view key) const {
    const yaml::Node* node = action_.configuration.Find(key);
    if (node == nullptr || node->IsNull()) return false;
    if (!node->IsScalar() || node->scalar_type() != yaml::ScalarType::kBool) {
      return Problem(fmt::format("'{}' must be true or false", key));
    }
    return node->value == "true" || node->value == "True" || node->value == "TRUE";
  }

  std::unexpected<Error> Problem(std::string_view what) const {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("action '{}': lockstep/deploy@v1 {}", action_.name, what));
  }

  const workflow::Action& action_;
};

}  // namespace

Result<std::string> DeployStep(const workflow::Action& action, std::string_view workflow_name,
                               const fs::path& root, const fs::path& executable,
                               const fs::path& state_directory) {
  Result<DeployConfiguration> configuration = ConfigurationReader(action).Read();
  if (!configuration) return std::unexpected(configuration.error());
  const DeployConfiguration& c = *configuration;

  // The actor the server records for the deployment: this workflow's run, and the rollout
  // it belongs to (a rollout passes LOCKSTEP_ROLLOUT), which rolls back what it deployed.
  // In a subshell, so that the folder the step started in stays the action's own.
  std::string command = fmt::format(
      "(cd {} && LOCKSTEP_HOME={} {} deploy --actor \"${{LOCKSTEP_ROLLOUT:+rollout "
      "$LOCKSTEP_ROLLOUT, }}\"{}\"$LOCKSTEP_RUN_ID\" --variables-file "
      "\"$__lockstep_deploy_outputs\"",
      ShellQuote(root.string()), ShellQuote(state_directory.string()),
      ShellQuote(executable.string()), ShellQuote(fmt::format("workflow {} run ", workflow_name)));
  if (c.route) {
    command += fmt::format(" --route {}", ShellQuote(*c.route));
    if (c.strip_prefix) command += " --strip-prefix";
    if (c.static_site) command += " --static";
    if (c.spa) command += " --spa";
    if (c.health_path) command += fmt::format(" --health {}", ShellQuote(*c.health_path));
    if (c.start_timeout)
      command += fmt::format(" --start-timeout {}", ShellQuote(*c.start_timeout));
  }
  command += fmt::format(" -- {} \"$CATALYST_SOURCE_DIR_{}\")", ShellQuote(c.service), c.artifact);
  // The first line, a comment, is the step's title in the log; the service and the artifact
  // are plain names. The command writes NAME='VALUE' lines (quoted), so sourcing them is safe;
  // when the deployment fails it exits 1 and, under `set -e`, so does the step.
  return fmt::format(
      "# lockstep/deploy@v1: {} from artifact {}\n"
      "__lockstep_deploy_outputs=\"$TMPDIR/lockstep-deploy-outputs\"\n"
      "{}\n"
      ". \"$__lockstep_deploy_outputs\"\n"
      "rm -f \"$__lockstep_deploy_outputs\"\n",
      c.service, c.artifact, command);
}

}  // namespace lockstep::engine
