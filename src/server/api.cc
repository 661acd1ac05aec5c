#include "server/api.h"

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "http/json_error.h"
#include "runtime/release_spec.h"
#include "runtime/service_spec.h"
#include "server/admin_token.h"
#include "server/api_json.h"
#include "server/api_rollouts.h"
#include "server/api_util.h"
#include "yaml/yaml_tree.h"

namespace lockstep::server {

namespace net = boost::asio;
using json = nlohmann::ordered_json;

namespace {

constexpr size_t kMaxRequestBody = 1 << 20;

class Api {
 public:
  explicit Api(const ApiContext& context) : context_(context) {}

  net::awaitable<void> Serve(http::Exchange& exchange) {
    const http::RequestHead& head = exchange.request();
    std::string body;
    while (true) {
      Result<std::string_view> chunk = co_await exchange.ReadBodyChunk(64 * 1024);
      if (!chunk) co_return;  // the server answers the client itself
      if (chunk->empty()) break;
      if (body.size() + chunk->size() > kMaxRequestBody) {
        http::Response too_large =
            http::JsonErrorResponse(413, "request body too large", head.request_id);
        auto responded = exchange.Respond(std::move(too_large));
        co_await std::move(responded);
        co_return;
      }
      body.append(*chunk);
    }
    auto dispatched = Dispatch(head, body);
    http::Response response = co_await std::move(dispatched);
    if (head.method != "GET" && head.method != "HEAD") AuditMutation(head, body, response);
    auto responded = exchange.Respond(std::move(response));
    co_await std::move(responded);
  }

 private:
  // Every request that would change something is in the audit chain, also a refused one:
  // who (the body's actor; "anonymous" without a valid token), what, and the answer.
  void AuditMutation(const http::RequestHead& head, const std::string& body,
                     const http::Response& response) {
    if (context_.audit == nullptr) return;
    std::string actor = response.status == 401 ? "anonymous" : "api";
    if (response.status != 401) {
      json parsed = json::parse(body, nullptr, false);
      if (parsed.is_object() && parsed.contains("actor") && parsed["actor"].is_string() &&
          !parsed["actor"].get<std::string>().empty()) {
        actor = parsed["actor"].get<std::string>();
      }
    }
    nlohmann::json details = {
        {"method", head.method}, {"status", response.status}, {"request_id", head.request_id}};
    if (response.status >= 400) {
      json error = json::parse(response.body, nullptr, false);
      if (error.is_object() && error.contains("error")) {
        details["message"] = error["error"].value("message", "");
      }
    }
    Result<audit::AuditEntry> appended =
        context_.audit->Append({.actor = actor,
                                .action = response.status < 400 ? "api.mutation" : "api.refused",
                                .subject = SplitTarget(head.target).path,
                                .details = std::move(details)});
    if (!appended) {
      spdlog::error("request {}: audit: {}", head.request_id, appended.error().message());
    }
  }

  net::awaitable<http::Response> Dispatch(const http::RequestHead& head, const std::string& body) {
    const std::string& id = head.request_id;
    Target target = SplitTarget(head.target);
    std::vector<std::string_view> parts = Segments(target.path);
    bool get = head.method == "GET" || head.method == "HEAD";
    bool post = head.method == "POST";
    if (target.path == "/healthz") {
      if (!get) co_return http::JsonErrorResponse(405, "method not allowed", id);
      co_return JsonResponse(200, {{"status", "ok"}});
    }
    if (parts.size() < 3 || parts[0] != "api" || parts[1] != "v1") {
      co_return http::JsonErrorResponse(404, "no such API endpoint", id);
    }
    std::string_view collection = parts[2];
    if (post) {
      if (!Authorized(head)) {
        spdlog::warn("request {}: {} {} refused: no valid admin token", id, head.method,
                     target.path);
        http::Response refused = http::JsonErrorResponse(
            401, "this needs the admin token (Authorization: Bearer TOKEN)", id);
        refused.headers.Set("WWW-Authenticate", "Bearer");
        co_return refused;
      }
      if (collection == "rollouts") {
        co_return HandleCoordination(context_.coordinator, head.method, parts, target, body, id);
      }
      if (collection == "services" && parts.size() == 5 && parts[4] == "deploy") {
        auto deploy = Deploy(std::string(parts[3]), body, id);
        co_return co_await std::move(deploy);
      }
      if (collection == "services" && parts.size() == 5 && parts[4] == "rollback") {
        auto rollback = Rollback(std::string(parts[3]), body, id);
        co_return co_await std::move(rollback);
      }
      co_return http::JsonErrorResponse(404, "no such API endpoint", id);
    }
    if (collection == "rollouts" || collection == "plan") {
      co_return HandleCoordination(context_.coordinator, head.method, parts, target, body, id);
    }
    if (!get) co_return http::JsonErrorResponse(405, "method not allowed", id);
    if ((collection == "status" || collection == "services") && parts.size() == 3) {
      auto services = Services(id, /*server=*/collection == "status");
      co_return co_await std::move(services);
    }
    if (collection == "services" && parts.size() == 4) {
      auto service = Service(std::string(parts[3]), id);
      co_return co_await std::move(service);
    }
    if (collection == "services" && parts.size() == 5 && parts[4] == "releases") {
      co_return Releases(std::string(parts[3]), id);
    }
    if (collection == "services" && parts.size() == 5 && parts[4] == "events") {
      co_return Events(std::string(parts[3]), LimitOf(target), id);
    }
    if (collection == "deployments" && parts.size() == 3) {
      auto service = target.query.find("service");
      co_return Deployments(service == target.query.end() ? "" : service->second, LimitOf(target),
                            id);
    }
    if (collection == "deployments" && parts.size() == 4) {
      co_return Deployment(parts[3], id);
    }
    co_return http::JsonErrorResponse(404, "no such API endpoint", id);
  }

  bool Authorized(const http::RequestHead& head) const {
    std::optional<std::string_view> header = head.headers.Find("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (!header || !header->starts_with(kBearer)) return false;
    return TokenMatches(header->substr(kBearer.size()), context_.admin_token);
  }

  // Every service with the processes it runs now; `server` adds the server's own details.
  net::awaitable<http::Response> Services(const std::string& id, bool server) {
    Result<std::vector<store::ServiceRecord>> services = context_.store.ListServices();
    if (!services) co_return ErrorFor(services.error(), id);
    std::vector<runtime::HandlerStatus> handlers = co_await context_.supervisor.Handlers();
    json list = json::array();
    for (const store::ServiceRecord& service : *services) {
      list.push_back(ServiceJson(service, handlers));
    }
    json body = json::object();
    if (server) {
      body["server"] = {
          {"version", LOCKSTEP_VERSION}, {"pid", context_.pid}, {"gateway", context_.gateway}};
    }
    body["services"] = std::move(list);
    co_return JsonResponse(200, body);
  }

  net::awaitable<http::Response> Service(std::string name, const std::string& id) {
    Result<store::ServiceRecord> service = context_.store.GetService(name);
    if (!service) co_return ErrorFor(NotFound(name, service.error()), id);
    std::vector<runtime::HandlerStatus> handlers = co_await context_.supervisor.Handlers();
    json result = ServiceJson(*service, handlers);
    json deployments = json::array();
    if (auto list = context_.store.ListDeployments(name, 10)) {
      for (const store::DeploymentRecord& deployment : *list) {
        deployments.push_back(DeploymentJson(deployment));
      }
    }
    json events = json::array();
    if (auto list = context_.store.ListEvents(name, 20)) {
      for (const store::ServiceEvent& event : *list) events.push_back(EventJson(event));
    }
    result["deployments"] = std::move(deployments);
    result["events"] = std::move(events);
    co_return JsonResponse(200, result);
  }

  http::Response Releases(const std::string& name, const std::string& id) {
    Result<store::ServiceRecord> service = context_.store.GetService(name);
    if (!service) return ErrorFor(NotFound(name, service.error()), id);
    Result<std::vector<store::ReleaseRecord>> releases = context_.store.ListReleases(name);
    if (!releases) return ErrorFor(releases.error(), id);
    json list = json::array();
    for (const store::ReleaseRecord& release : *releases) {
      list.push_back(ReleaseJson(release, service->serving));
    }
    return JsonResponse(200, {{"service", name}, {"releases", std::move(list)}});
  }

  http::Response Events(const std::string& name, size_t limit, const std::string& id) {
    if (Result<store::ServiceRecord> service = context_.store.GetService(name); !service) {
      return ErrorFor(NotFound(name, service.error()), id);
    }
    Result<std::vector<store::ServiceEvent>> events = context_.store.ListEvents(name, limit);
    if (!events) return ErrorFor(events.error(), id);
    json list = json::array();
    for (const store::ServiceEvent& event : *events) list.push_back(EventJson(event));
    return JsonResponse(200, {{"service", name}, {"events", std::move(list)}});
  }

  http::Response Deployments(const std::string& service, size_t limit, const std::string& id) {
    Result<std::vector<store::DeploymentRecord>> deployments =
        context_.store.ListDeployments(service, limit);
    if (!deployments) return ErrorFor(deployments.error(), id);
    json list = json::array();
    for (const store::DeploymentRecord& deployment : *deployments) {
      list.push_back(DeploymentJson(deployment));
    }
    return JsonResponse(200, {{"deployments", std::move(list)}});
  }

  http::Response Deployment(std::string_view text, const std::string& id) {
    store::DeploymentId number = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error != std::errc() || end != text.data() + text.size() || number <= 0) {
      return http::JsonErrorResponse(400, "a deployment id is a positive number", id);
    }
    Result<store::DeploymentRecord> deployment = context_.store.GetDeployment(number);
    if (!deployment) return ErrorFor(deployment.error(), id);
    return JsonResponse(200, DeploymentJson(*deployment));
  }

  net::awaitable<http::Response> Deploy(std::string name, const std::string& body,
                                        const std::string& id) {
    Result<runtime::DeployRequest> request = ParseDeploy(name, body);
    if (!request) co_return ErrorFor(request.error(), id);
    auto deploying = context_.supervisor.Deploy(std::move(*request));
    Result<store::DeploymentRecord> deployment = co_await std::move(deploying);
    if (!deployment) co_return ErrorFor(deployment.error(), id);
    co_return JsonResponse(200, DeploymentJson(*deployment));
  }

  net::awaitable<http::Response> Rollback(std::string name, const std::string& body,
                                          const std::string& id) {
    Result<json> parsed = ParseObject(body);
    if (!parsed) co_return ErrorFor(parsed.error(), id);
    std::string release = StringField(*parsed, "release");
    std::string actor = StringField(*parsed, "actor");
    auto rollback = context_.supervisor.Rollback(name, release, actor.empty() ? "api" : actor);
    Result<store::DeploymentRecord> deployment = co_await std::move(rollback);
    if (!deployment) co_return ErrorFor(deployment.error(), id);
    co_return JsonResponse(200, DeploymentJson(*deployment));
  }

  static Result<json> ParseObject(const std::string& body) {
    if (body.empty()) return json::object();
    json parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
      return Fail(ErrorCode::kInvalidArgument, "the request body must be a JSON object");
    }
    return parsed;
  }

  static std::string StringField(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : "";
  }

  static Result<runtime::DeployRequest> ParseDeploy(const std::string& name,
                                                    const std::string& body) {
    Result<json> parsed = ParseObject(body);
    if (!parsed) return std::unexpected(parsed.error());
    for (const auto& [key, value] : parsed->items()) {
      if (key != "directory" && key != "service" && key != "handlers" && key != "actor") {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("unknown field '{}' (expected directory, service, handlers, "
                                "actor)",
                                key));
      }
    }
    runtime::DeployRequest request;
    request.service = name;
    request.directory = StringField(*parsed, "directory");
    request.actor = StringField(*parsed, "actor");
    if (request.actor.empty()) request.actor = "api";
    if (request.directory.empty() || !request.directory.is_absolute()) {
      return Fail(ErrorCode::kInvalidArgument,
                  "'directory' must be the absolute path of the release's files");
    }
    if (auto it = parsed->find("service"); it != parsed->end()) {
      // The same keys as a service in lockstep.yaml; JSON is YAML, so one reader serves both.
      Result<yaml::Node> node = yaml::ParseYaml(it->dump(), "service");
      if (!node) return std::unexpected(node.error());
      Result<runtime::ServiceSpec> spec = runtime::ReadServiceSpec(name, *node, "service");
      if (!spec) return std::unexpected(spec.error());
      request.spec = std::move(*spec);
    }
    if (auto it = parsed->find("handlers"); it != parsed->end()) {
      Result<runtime::ReleaseSpec> chain =
          runtime::ParseReleaseSpec(json{{"handlers", *it}}.dump(), "handlers");
      if (!chain) return std::unexpected(chain.error());
      request.chain = std::move(*chain);
    }
    return request;
  }

  static Error NotFound(const std::string& name, const Error& error) {
    if (error.code() != ErrorCode::kNotFound) return error;
    return Error(ErrorCode::kNotFound, fmt::format("no service '{}'", name));
  }

  const ApiContext& context_;
};

}  // namespace

http::StreamHandler MakeApiHandler(const ApiContext& context) {
  auto api = std::make_shared<Api>(context);
  return [api](http::Exchange& exchange) { return api->Serve(exchange); };
}

}  // namespace lockstep::server
