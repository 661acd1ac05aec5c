// `lockstep deploy SERVICE DIR` and `lockstep rollback SERVICE [--to RELEASE]`: thin clients of
// the server's API that wait for the deployment and print how each candidate fared.
#include <fmt/core.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "base/state_directory.h"
#include "cli/api_client.h"
#include "cli/command.h"
#include "coord/workspace.h"
#include "engine/step_script.h"
#include "runtime/service_spec.h"

namespace lockstep::cli {
namespace {

using json = nlohmann::ordered_json;

// A deployment can try several candidates, each with its start timeout.
constexpr std::chrono::minutes kDeployTimeout{30};

// For lockstep/deploy@v1: its output variables, as lines a shell can source. The values are
// quoted even though the server's names are plain: the file is read as code.
Result<void> WriteVariables(const std::string& file, const json& deployment) {
  std::ofstream out(file, std::ios::trunc);
  out << "ReleaseId=" << engine::ShellQuote(deployment.value("release", "")) << "\n"
      << "Handler=" << engine::ShellQuote(deployment.value("handler", "")) << "\n";
  if (!out.flush()) return std::unexpected(ErrnoError(errno, fmt::format("cannot write {}", file)));
  return {};
}

void PrintDeployment(const json& deployment) {
  std::string state = deployment.value("state", "");
  fmt::print("{} {} of {}: {}\n", deployment.value("kind", "deploy"), deployment.value("id", 0),
             deployment.value("service", ""), state);
  fmt::print("  release   {}\n", deployment.value("release", ""));
  if (!deployment.value("handler", "").empty()) {
    fmt::print("  handler   {}\n", deployment.value("handler", ""));
  }
  if (!deployment.value("from_release", "").empty()) {
    fmt::print("  replaced  {}\n", deployment.value("from_release", ""));
  }
  const json& candidates = deployment["candidates"];
  if (candidates.is_array() && !candidates.empty()) {
    fmt::print("  candidates\n");
    for (const json& candidate : candidates) {
      std::string outcome = candidate.value("outcome", "");
      fmt::print("    {:<16} {}\n", candidate.value("handler", ""),
                 outcome.empty() ? "not tried" : outcome);
    }
  }
  if (state != "succeeded" && !deployment.value("reason", "").empty()) {
    fmt::print("  reason    {}\n", deployment.value("reason", ""));
  } else if (deployment.value("reason", "") == "release already serving") {
    fmt::print("  (this release already serves; nothing changed)\n");
  }
}

int BadServiceName(const std::string& name) {
  fmt::print(stderr,
             "lockstep: error: '{}' is not a service name (letters, digits, '-', '_', '.')\n",
             name);
  return kExitUsage;
}

int Finish(const Result<json>& deployment, bool as_json, const std::string& variables_file = "") {
  if (!deployment) {
    fmt::print(stderr, "lockstep: error: {}\n", deployment.error().message());
    return kExitFailure;
  }
  if (!variables_file.empty()) {
    if (Result<void> written = WriteVariables(variables_file, *deployment); !written) {
      fmt::print(stderr, "lockstep: error: {}\n", written.error().message());
      return kExitFailure;
    }
  }
  if (as_json) {
    fmt::print("{}\n", deployment->dump(2));
  } else {
    PrintDeployment(*deployment);
  }
  return deployment->value("state", "") == "succeeded" ? kExitSuccess : kExitFailure;
}

struct DeployFlags {
  std::string service;
  std::string directory;
  std::string route;
  std::string host;
  bool strip_prefix = false;
  bool static_site = false;
  bool spa = false;
  std::string health;
  std::string start_timeout;
  std::vector<std::string> handlers;  // NAME=COMMAND ARGS…
  std::string actor;
  std::string variables_file;
  bool json = false;
};

// The service as the workspace's lockstep.yaml declares it under `services:`, if it does.
Result<std::optional<json>> DeclaredService(const std::string& name) {
  std::optional<std::filesystem::path> file = FindWorkspaceFile(std::filesystem::current_path());
  if (!file) return std::optional<json>();
  Result<std::optional<runtime::ServiceSpec>> spec = coord::ReadDeclaredService(*file, name);
  if (!spec) return std::unexpected(spec.error());
  if (!*spec) return std::optional<json>();
  return std::optional<json>(json::parse(runtime::ServiceSpecToJson(**spec)));
}

Result<json> DeployBody(const DeployFlags& flags) {
  std::error_code error;
  std::filesystem::path directory = std::filesystem::absolute(flags.directory, error);
  if (error || !std::filesystem::is_directory(directory, error)) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{} is not a directory", flags.directory));
  }
  json body = {{"directory", directory.lexically_normal().string()},
               {"actor", ActorName(flags.actor)}};
  bool defines = !flags.host.empty() || flags.strip_prefix || flags.static_site || flags.spa ||
                 !flags.health.empty() || !flags.start_timeout.empty();
  if (defines && flags.route.empty()) {
    return Fail(ErrorCode::kInvalidArgument,
                "--route is needed with --host, --strip-prefix, --static, --spa, --health and "
                "--start-timeout: they define the service as a whole");
  }
  if (flags.route.empty()) {
    Result<std::optional<json>> declared = DeclaredService(flags.service);
    if (!declared) return std::unexpected(declared.error());
    if (*declared) body["service"] = std::move(**declared);
  } else {
    json service = {{"route", {{"path", flags.route}, {"strip_prefix", flags.strip_prefix}}}};
    if (!flags.host.empty()) service["route"]["host"] = flags.host;
    service["kind"] = flags.static_site ? "static" : "http";
    if (flags.spa) service["spa"] = true;
    if (!flags.health.empty()) service["health"] = {{"path", flags.health}};
    if (!flags.start_timeout.empty()) service["start_timeout"] = flags.start_timeout;
    body["service"] = std::move(service);
  }
  if (!flags.handlers.empty()) {
    json handlers = json::array();
    for (const std::string& text : flags.handlers) {
      size_t equals = text.find('=');
      if (equals == std::string::npos || equals == 0 || equals + 1 == text.size()) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("--handler '{}' must be NAME=COMMAND [ARGUMENTS]", text));
      }
      json command = json::array();
      std::string_view rest = std::string_view(text).substr(equals + 1);
      while (!rest.empty()) {
        size_t space = rest.find(' ');
        if (space != 0) command.push_back(std::string(rest.substr(0, space)));
        if (space == std::string_view::npos) break;
        rest.remove_prefix(space + 1);
      }
      handlers.push_back({{"name", text.substr(0, equals)}, {"command", std::move(command)}});
    }
    body["handlers"] = std::move(handlers);
  }
  return body;
}

}  // namespace

CommandSpec DeployCommand() {
  return {"deploy", "Deploy a directory as a new release of a service (through lockstep serve)",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            auto flags = std::make_shared<DeployFlags>();
            app.add_option("service", flags->service, "The service")->required();
            app.add_option("directory", flags->directory, "The release's files")->required();
            app.add_option("--route", flags->route,
                           "Path prefix the gateway serves it under (defines the service)");
            app.add_option("--host", flags->host, "Serve it only for this Host");
            app.add_flag("--strip-prefix", flags->strip_prefix,
                         "Remove the route's prefix from paths passed to the handler");
            app.add_flag("--static", flags->static_site,
                         "A static site served by the gateway, not a process");
            app.add_flag("--spa", flags->spa, "Static site: answer unknown paths with /index.html");
            app.add_option("--health", flags->health, "Health-check path (default /)");
            app.add_option("--start-timeout", flags->start_timeout,
                           "How long a handler has to become healthy (default 30s)");
            app.add_option("--handler", flags->handlers,
                           "NAME=COMMAND [ARGS]: a candidate of the handler chain, in order "
                           "(instead of the directory's lockstep.release.yaml)");
            app.add_option("--actor", flags->actor,
                           "Who deploys, as recorded and audited (default: the login name)");
            app.add_option("--variables-file", flags->variables_file,
                           "Write ReleaseId=… and Handler=… to this file as shell assignments "
                           "(for lockstep/deploy@v1)");
            app.add_flag("--json", flags->json, "Print the deployment as JSON");
            return [flags] {
              if (!IsServiceName(flags->service)) return BadServiceName(flags->service);
              Result<json> body = DeployBody(*flags);
              if (!body) {
                fmt::print(stderr, "lockstep: error: {}\n", body.error().ToString());
                return kExitUsage;
              }
              return Finish(CallApi({.method = "POST",
                                     .target = "/api/v1/services/" + flags->service + "/deploy",
                                     .body = std::move(*body),
                                     .needs_token = true,
                                     .timeout = kDeployTimeout}),
                            flags->json, flags->variables_file);
            };
          }};
}

CommandSpec RollbackCommand() {
  return {"rollback", "Bring back an earlier release of a service (by default the previous one)",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            struct Flags {
              std::string service;
              std::string release;
              bool json = false;
            };
            auto flags = std::make_shared<Flags>();
            app.add_option("service", flags->service, "The service")->required();
            app.add_option("--to", flags->release, "The release (see `lockstep releases`)");
            app.add_flag("--json", flags->json, "Print the deployment as JSON");
            return [flags] {
              if (!IsServiceName(flags->service)) return BadServiceName(flags->service);
              json body = {{"release", flags->release}, {"actor", ActorName()}};
              return Finish(CallApi({.method = "POST",
                                     .target = "/api/v1/services/" + flags->service + "/rollback",
                                     .body = std::move(body),
                                     .needs_token = true,
                                     .timeout = kDeployTimeout}),
                            flags->json);
            };
          }};
}

}  // namespace lockstep::cli
