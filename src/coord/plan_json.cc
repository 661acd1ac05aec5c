// The plan as JSON: every field under its own name, in declaration order, so that
// PlanFromJson(PlanToJson(plan)) == plan. Changed paths keep their kind as the words of
// git::ChangedPathKindName and their modes as numbers.
#include <fmt/core.h>

#include <nlohmann/json.hpp>

#include "coord/plan.h"

namespace lockstep::coord {
namespace {

using Json = nlohmann::ordered_json;

constexpr git::ChangedPath::Kind kKinds[] = {
    git::ChangedPath::Kind::kAdded,       git::ChangedPath::Kind::kModified,
    git::ChangedPath::Kind::kDeleted,     git::ChangedPath::Kind::kRenamed,
    git::ChangedPath::Kind::kModeChanged, git::ChangedPath::Kind::kTypeChanged};

Json WorkflowsJson(const std::vector<PlannedWorkflow>& workflows) {
  Json out = Json::array();
  for (const PlannedWorkflow& workflow : workflows) {
    out.push_back(
        {{"name", workflow.name}, {"file", workflow.file}, {"reasons", workflow.reasons}});
  }
  return out;
}

git::ChangedPath::Kind KindFromName(const std::string& name) {
  for (git::ChangedPath::Kind kind : kKinds) {
    if (git::ChangedPathKindName(kind) == name) return kind;
  }
  throw std::invalid_argument(fmt::format("unknown kind of change '{}'", name));
}

std::vector<PlannedWorkflow> WorkflowsFromJson(const Json& json) {
  std::vector<PlannedWorkflow> workflows;
  for (const Json& item : json) {
    workflows.push_back({.name = item.at("name").get<std::string>(),
                         .file = item.at("file").get<std::string>(),
                         .reasons = item.at("reasons").get<std::vector<std::string>>()});
  }
  return workflows;
}

Plan FromJson(const Json& json) {
  Plan plan;
  plan.workspace = json.at("workspace").get<std::string>();
  plan.environment = json.at("environment").get<std::string>();
  plan.strategy = json.at("strategy").get<std::string>();
  for (const Json& item : json.at("changes")) {
    RepositoryChange change;
    change.repository = item.at("repository").get<std::string>();
    change.branch = item.at("branch").get<std::string>();
    change.from_commit = item.at("from_commit").get<std::string>();
    change.to_commit = item.at("to_commit").get<std::string>();
    change.note = item.at("note").get<std::string>();
    for (const Json& file : item.at("files")) {
      change.files.push_back({.kind = KindFromName(file.at("kind").get<std::string>()),
                              .path = file.at("path").get<std::string>(),
                              .old_path = file.at("old_path").get<std::string>(),
                              .old_mode = file.at("old_mode").get<uint32_t>(),
                              .new_mode = file.at("new_mode").get<uint32_t>()});
    }
    plan.changes.push_back(std::move(change));
  }
  for (const Json& item : json.at("syncs")) {
    plan.syncs.push_back(
        {.rule = item.at("rule").get<size_t>(),
         .from_repository = item.at("from_repository").get<std::string>(),
         .from_path = item.at("from_path").get<std::string>(),
         .to_repository = item.at("to_repository").get<std::string>(),
         .to_path = item.at("to_path").get<std::string>(),
         .commit = item.at("commit").get<bool>(),
         .changed_files = item.at("changed_files").get<std::vector<std::string>>()});
  }
  for (const Json& item : json.at("repositories")) {
    PlannedRepository repository;
    repository.name = item.at("name").get<std::string>();
    repository.path = item.at("path").get<std::string>();
    repository.branch = item.at("branch").get<std::string>();
    repository.commit = item.at("commit").get<std::string>();
    repository.stage = item.at("stage").get<int>();
    repository.reasons = item.at("reasons").get<std::vector<std::string>>();
    repository.syncs_in = item.at("syncs_in").get<std::vector<size_t>>();
    repository.workflows = WorkflowsFromJson(item.at("workflows"));
    repository.not_firing = WorkflowsFromJson(item.at("not_firing"));
    plan.repositories.push_back(std::move(repository));
  }
  plan.stages = json.at("stages").get<std::vector<std::vector<std::string>>>();
  return plan;
}

}  // namespace

std::string PlanToJson(const Plan& plan) {
  Json changes = Json::array();
  for (const RepositoryChange& change : plan.changes) {
    Json files = Json::array();
    for (const git::ChangedPath& file : change.files) {
      files.push_back({{"kind", git::ChangedPathKindName(file.kind)},
                       {"path", file.path},
                       {"old_path", file.old_path},
                       {"old_mode", file.old_mode},
                       {"new_mode", file.new_mode}});
    }
    changes.push_back({{"repository", change.repository},
                       {"branch", change.branch},
                       {"from_commit", change.from_commit},
                       {"to_commit", change.to_commit},
                       {"note", change.note},
                       {"files", std::move(files)}});
  }
  Json syncs = Json::array();
  for (const PlannedSync& sync : plan.syncs) {
    syncs.push_back({{"rule", sync.rule},
                     {"from_repository", sync.from_repository},
                     {"from_path", sync.from_path},
                     {"to_repository", sync.to_repository},
                     {"to_path", sync.to_path},
                     {"commit", sync.commit},
                     {"changed_files", sync.changed_files}});
  }
  Json repositories = Json::array();
  for (const PlannedRepository& repository : plan.repositories) {
    repositories.push_back({{"name", repository.name},
                            {"path", repository.path.string()},
                            {"branch", repository.branch},
                            {"commit", repository.commit},
                            {"stage", repository.stage},
                            {"reasons", repository.reasons},
                            {"syncs_in", repository.syncs_in},
                            {"workflows", WorkflowsJson(repository.workflows)},
                            {"not_firing", WorkflowsJson(repository.not_firing)}});
  }
  Json json = {{"workspace", plan.workspace}, {"environment", plan.environment},
               {"strategy", plan.strategy},   {"changes", std::move(changes)},
               {"syncs", std::move(syncs)},   {"repositories", std::move(repositories)},
               {"stages", plan.stages}};
  // Paths and reasons come from repositories and may hold any bytes: replace what is not
  // UTF-8 rather than fail.
  return json.dump(2, ' ', false, Json::error_handler_t::replace);
}

Result<Plan> PlanFromJson(std::string_view json) {
  try {
    return FromJson(Json::parse(json));
  } catch (const std::exception& e) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("not a plan: {}", e.what()));
  }
}

}  // namespace lockstep::coord
