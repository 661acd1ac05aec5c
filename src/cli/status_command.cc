// `lockstep status [SERVICE]` and `lockstep releases SERVICE`: what the server runs, as tables
// or as the API's JSON.
#include <fmt/core.h>

#include "cli/api_client.h"
#include "cli/command.h"

namespace lockstep::cli {
namespace {

using json = nlohmann::ordered_json;

int Error(const lockstep::Error& error) {
  fmt::print(stderr, "lockstep: error: {}\n", error.message());
  return kExitFailure;
}

std::string Route(const json& definition) {
  if (!definition.is_object() || !definition.contains("route")) return "";
  const json& route = definition["route"];
  std::string text = route.value("host", "") + route.value("path", "");
  if (route.value("strip_prefix", false)) text += " (stripped)";
  return text;
}

void PrintServices(const json& status) {
  const json& services = status["services"];
  if (services.empty()) {
    fmt::print("no services yet; deploy one with `lockstep deploy SERVICE DIR --route /PATH`\n");
    return;
  }
  fmt::print("{:<16} {:<12} {:<22} {:<12} {}\n", "SERVICE", "STATUS", "RELEASE", "HANDLER",
             "ROUTE");
  for (const json& service : services) {
    fmt::print("{:<16} {:<12} {:<22} {:<12} {}\n", service.value("name", ""),
               service.value("status", ""), service.value("release", ""),
               service.value("handler", ""), Route(service["definition"]));
    if (!service.value("reason", "").empty()) {
      fmt::print("  {}\n", service.value("reason", ""));
    }
  }
}

void PrintService(const json& service) {
  fmt::print("{}: {}\n", service.value("name", ""), service.value("status", ""));
  if (!service.value("reason", "").empty())
    fmt::print("  reason    {}\n", service.value("reason", ""));
  fmt::print("  route     {}\n", Route(service["definition"]));
  fmt::print("  release   {}\n", service.value("release", ""));
  fmt::print("  handler   {}\n", service.value("handler", ""));
  fmt::print("  previous  {}\n", service.value("previous_release", ""));
  fmt::print("processes\n");
  for (const json& process : service["processes"]) {
    fmt::print("  {:<8} {:<22} {:<12} pid {:<8} port {:<6} {}\n", process.value("role", ""),
               process.value("release", ""), process.value("handler", ""), process.value("pid", 0),
               process.value("port", 0),
               process.value("healthy", false) ? "healthy" : "not healthy");
  }
  fmt::print("deployments\n");
  for (const json& deployment : service["deployments"]) {
    fmt::print("  {:<5} {:<9} {:<12} {:<22} {}\n", deployment.value("id", 0),
               deployment.value("kind", ""), deployment.value("state", ""),
               deployment.value("release", ""), deployment.value("handler", ""));
  }
  fmt::print("events\n");
  for (const json& event : service["events"]) {
    fmt::print("  {}  {:<18} {}\n", event.value("time", ""), event.value("kind", ""),
               event.value("message", ""));
  }
}

}  // namespace

CommandSpec StatusCommand() {
  return {"status", "Show the services the server runs, or one service in detail",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            struct Flags {
              std::string service;
              bool json = false;
            };
            auto flags = std::make_shared<Flags>();
            app.add_option("service", flags->service, "One service, with its history");
            app.add_flag("--json", flags->json, "Print the API's JSON");
            return [flags] {
              if (!flags->service.empty() && !IsServiceName(flags->service)) {
                fmt::print(stderr, "lockstep: error: '{}' is not a service name\n", flags->service);
                return kExitUsage;
              }
              std::string target =
                  flags->service.empty() ? "/api/v1/status" : "/api/v1/services/" + flags->service;
              Result<json> answer = CallApi({.target = target});
              if (!answer) return Error(answer.error());
              if (flags->json) {
                fmt::print("{}\n", answer->dump(2));
              } else if (flags->service.empty()) {
                PrintServices(*answer);
              } else {
                PrintService(*answer);
              }
              return kExitSuccess;
            };
          }};
}

CommandSpec ReleasesCommand() {
  return {"releases", "List the releases of a service, newest first",
          [](CLI::App& app, const GlobalOptions&) -> std::function<int()> {
            struct Flags {
              std::string service;
              bool json = false;
            };
            auto flags = std::make_shared<Flags>();
            app.add_option("service", flags->service, "The service")->required();
            app.add_flag("--json", flags->json, "Print the API's JSON");
            return [flags] {
              if (!IsServiceName(flags->service)) {
                fmt::print(stderr, "lockstep: error: '{}' is not a service name\n", flags->service);
                return kExitUsage;
              }
              Result<json> answer =
                  CallApi({.target = "/api/v1/services/" + flags->service + "/releases"});
              if (!answer) return Error(answer.error());
              if (flags->json) {
                fmt::print("{}\n", answer->dump(2));
                return kExitSuccess;
              }
              fmt::print("{:<22} {:<9} {:>7} {:>11}  {:<20} {}\n", "RELEASE", "ROLE", "FILES",
                         "BYTES", "CREATED", "HANDLERS");
              for (const json& release : (*answer)["releases"]) {
                std::string handlers;
                for (const json& handler : release["handlers"]) {
                  handlers += (handlers.empty() ? "" : " → ") + handler.value("name", "");
                }
                fmt::print("{:<22} {:<9} {:>7} {:>11}  {:<20} {}\n", release.value("id", ""),
                           release.value("role", ""), release.value("files", 0),
                           release.value("bytes", 0), release.value("created_at", ""), handlers);
              }
              return kExitSuccess;
            };
          }};
}

}  // namespace lockstep::cli
