#include "server/api_rollouts.h"

#include <fmt/core.h>

#include <charconv>

#include "http/json_error.h"
#include "server/api_json.h"

namespace lockstep::server {
namespace {

using json = nlohmann::ordered_json;

json OptionalTime(const std::optional<store::TimeMs>& time) {
  return time ? json(IsoTime(*time)) : json(nullptr);
}

json StepJson(const store::RolloutStep& step) {
  json entry = {{"number", step.number},
                {"kind", step.kind},
                {"subject", step.subject},
                {"state", store::ToString(step.state)},
                {"detail", step.detail},
                {"started_at", IsoTime(step.started_at)},
                {"finished_at", OptionalTime(step.finished_at)}};
  entry["duration_ms"] =
      step.finished_at ? json(*step.finished_at - step.started_at) : json(nullptr);
  json data = json::parse(step.data, nullptr, false);
  entry["data"] = data.is_discarded() ? json::object() : data;
  return entry;
}

Result<json> ParseBody(const std::string& body) {
  if (body.empty()) return json::object();
  json parsed = json::parse(body, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "the request body must be a JSON object");
  }
  return parsed;
}

Result<std::string> StringField(const json& object, const char* key,
                                std::initializer_list<std::string_view> allowed) {
  for (const auto& [name, value] : object.items()) {
    bool known = false;
    for (std::string_view candidate : allowed) known = known || candidate == name;
    if (!known) {
      return Fail(ErrorCode::kInvalidArgument, fmt::format("unknown field '{}'", name));
    }
  }
  auto it = object.find(key);
  if (it == object.end()) return std::string();
  if (!it->is_string()) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("'{}' must be a string", key));
  }
  return it->get<std::string>();
}

Result<store::RolloutId> ParseId(std::string_view text) {
  store::RolloutId id = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (error != std::errc() || end != text.data() + text.size() || id <= 0) {
    return Fail(ErrorCode::kInvalidArgument, "a rollout id is a positive number");
  }
  return id;
}

http::Response Rollout(Coordinator& coordinator, store::RolloutId id, const std::string& request,
                       int status = 200) {
  Result<store::RolloutRecord> rollout = coordinator.store().GetRollout(id);
  if (!rollout) return ErrorFor(rollout.error(), request);
  Result<std::vector<store::RolloutStep>> steps = coordinator.store().ListSteps(id);
  if (!steps) return ErrorFor(steps.error(), request);
  return JsonResponse(status, RolloutJson(*rollout, *steps, /*with_plan=*/true));
}

http::Response Post(Coordinator& coordinator, const std::vector<std::string_view>& parts,
                    const std::string& body, const std::string& request) {
  Result<json> parsed = ParseBody(body);
  if (!parsed) return ErrorFor(parsed.error(), request);
  if (parts.size() == 3) {
    Result<std::string> environment = StringField(*parsed, "environment", {"environment", "actor"});
    Result<std::string> actor = StringField(*parsed, "actor", {"environment", "actor"});
    if (!environment) return ErrorFor(environment.error(), request);
    if (!actor) return ErrorFor(actor.error(), request);
    coord::Plan plan;
    Result<std::optional<store::RolloutId>> started =
        coordinator.StartRollout(*environment, actor->empty() ? "api" : *actor, &plan);
    if (!started) return ErrorFor(started.error(), request);
    if (!*started) {
      return JsonResponse(200, {{"rollout", nullptr},
                                {"plan", json::parse(coord::PlanToJson(plan))},
                                {"message", "nothing changed since the last good rollout"}});
    }
    return Rollout(coordinator, **started, request, 201);
  }
  Result<store::RolloutId> id = ParseId(parts[3]);
  if (!id) return ErrorFor(id.error(), request);
  if (parts.size() == 5 && (parts[4] == "approve" || parts[4] == "reject")) {
    Result<std::string> actor = StringField(*parsed, "actor", {"actor", "reason"});
    Result<std::string> reason = StringField(*parsed, "reason", {"actor", "reason"});
    if (!actor) return ErrorFor(actor.error(), request);
    if (!reason) return ErrorFor(reason.error(), request);
    Result<void> decided =
        coordinator.Decide(*id, parts[4] == "approve", actor->empty() ? "api" : *actor, *reason);
    if (!decided) return ErrorFor(decided.error(), request);
    return Rollout(coordinator, *id, request);
  }
  return http::JsonErrorResponse(404, "no such API endpoint", request);
}

}  // namespace

json RolloutJson(const store::RolloutRecord& rollout, const std::vector<store::RolloutStep>& steps,
                 bool with_plan) {
  json entry = {{"id", rollout.id},
                {"environment", rollout.environment},
                {"state", store::ToString(rollout.state)},
                {"strategy", rollout.strategy},
                {"actor", rollout.actor},
                {"reason", rollout.reason},
                {"decided_by", rollout.decided_by},
                {"created_at", IsoTime(rollout.created_at)},
                {"started_at", OptionalTime(rollout.started_at)},
                {"finished_at", OptionalTime(rollout.finished_at)}};
  entry["duration_ms"] = rollout.finished_at && rollout.started_at
                             ? json(*rollout.finished_at - *rollout.started_at)
                             : json(nullptr);
  entry["baseline"] = rollout.baseline;
  json list = json::array();
  for (const store::RolloutStep& step : steps) list.push_back(StepJson(step));
  entry["steps"] = std::move(list);
  if (with_plan) {
    json plan = json::parse(rollout.plan_json, nullptr, false);
    entry["plan"] = plan.is_discarded() ? json(nullptr) : plan;
  }
  return entry;
}

http::Response HandleCoordination(Coordinator* coordinator, std::string_view method,
                                  const std::vector<std::string_view>& parts, const Target& target,
                                  const std::string& body, const std::string& request_id) {
  if (coordinator == nullptr || !coordinator->has_workspace()) {
    return http::JsonErrorResponse(
        404, "this server has no workspace (start it beside a lockstep.yaml)", request_id);
  }
  bool get = method == "GET" || method == "HEAD";
  if (parts[2] == "plan" && parts.size() == 3) {
    if (!get) return http::JsonErrorResponse(405, "method not allowed", request_id);
    auto environment = target.query.find("environment");
    Result<coord::Plan> plan =
        coordinator->MakePlan(environment == target.query.end() ? "" : environment->second);
    if (!plan) return ErrorFor(plan.error(), request_id);
    json body_json = json::parse(coord::PlanToJson(*plan));
    body_json["text"] = coord::FormatPlan(*plan);
    return JsonResponse(200, body_json);
  }
  if (method == "POST") return Post(*coordinator, parts, body, request_id);
  if (!get) return http::JsonErrorResponse(405, "method not allowed", request_id);
  if (parts.size() == 3) {
    auto environment = target.query.find("environment");
    Result<std::vector<store::RolloutRecord>> rollouts = coordinator->store().ListRollouts(
        environment == target.query.end() ? "" : environment->second, LimitOf(target));
    if (!rollouts) return ErrorFor(rollouts.error(), request_id);
    json list = json::array();
    for (const store::RolloutRecord& rollout : *rollouts) {
      list.push_back(RolloutJson(rollout, {}, /*with_plan=*/false));
    }
    json pending = json::array();
    for (const PendingPlan& plan : coordinator->Pending()) {
      pending.push_back({{"environment", plan.environment},
                         {"strategy", plan.strategy},
                         {"detected_at", IsoTime(plan.detected_at)}});
    }
    return JsonResponse(200, {{"rollouts", std::move(list)}, {"pending", std::move(pending)}});
  }
  if (parts.size() == 4) {
    Result<store::RolloutId> id = ParseId(parts[3]);
    if (!id) return ErrorFor(id.error(), request_id);
    return Rollout(*coordinator, *id, request_id);
  }
  return http::JsonErrorResponse(404, "no such API endpoint", request_id);
}

}  // namespace lockstep::server
