#include "cli/demo_story.h"

#include <fmt/core.h>

#include <chrono>
#include <thread>

#include "audit/verify.h"
#include "cli/demo_workspace.h"
#include "cli/rollout_print.h"

namespace lockstep::cli {
namespace {

using json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::minutes kRolloutBound{15};

// The entry named `name` of the API's service list, or an empty object.
json ServiceNamed(const json& services, std::string_view name) {
  for (const json& service : services) {
    if (service.value("name", "") == name) return service;
  }
  return json::object();
}

void Expect(bool held, std::string_view what, std::string& trouble) {
  if (held) return;
  trouble += trouble.empty() ? std::string(what) : fmt::format("; {}", what);
}

bool Contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

std::string EmailOf(const json& person) {
  // The rename of act 3 is rolled back, but a reader should not break on it.
  return person.contains("email") ? person.value("email", "") : person.value("email_address", "");
}

// What a finished rollout says about an act, before the act's own checks.
ActOutcome OutcomeOf(const json& rollout) {
  ActOutcome outcome;
  outcome.rollout = rollout.value("id", int64_t{0});
  outcome.state = rollout.value("state", "");
  outcome.reason = rollout.value("reason", "");
  return outcome;
}

struct NewPerson {
  std::string_view first_name, last_name, email, date_of_birth;
};
constexpr NewPerson kPeople[] = {
    {"Ada", "Lovelace", "ada@registry.example", "1815-12-10"},
    {"Grace", "Hopper", "grace@registry.example", "1906-12-09"},
    {"Alan", "Turing", "alan@registry.example", "1912-06-23"},
};

}  // namespace

DemoStory::DemoStory(DemoSettings settings, Output output)
    : settings_(std::move(settings)), output_(std::move(output)) {}

DemoStory::~DemoStory() = default;

void DemoStory::Say(std::string_view text) { output_(fmt::format("{}\n", text)); }

void DemoStory::Heading(std::string_view title, std::string_view story) {
  output_(settings_.color ? fmt::format("\n\033[1m== {}\033[0m\n", title)
                          : fmt::format("\n== {}\n", title));
  if (!story.empty()) output_(fmt::format("{}\n\n", story));
}

Result<void> DemoStory::Begin() {
  Heading("The workspace",
          fmt::format("Three git repositories from examples/registry, and lockstep.yaml, which "
                      "ties them together:\n  {}",
                      settings_.directory.string()));
  if (Result<void> laid = LayOutDemoWorkspace(settings_.example, settings_.directory); !laid) {
    return laid;
  }
  Say("  registry-api              the people API (C++), its unit tests, api-ci.yaml");
  Say("  registry-infrastructure   the API's service: handler chain integrated -> enhanced ->");
  Say("                            legacy, infrastructure-deployment.yaml with post-deployment");
  Say("                            tests, the emergency final-working-solution.yaml");
  Say("  registry-frontend         the web page, frontend-deploy.yaml");
  Result<std::unique_ptr<DemoServer>> server = DemoServer::Start(
      settings_.executable, settings_.directory, settings_.api, settings_.gateway);
  if (!server) return std::unexpected(server.error());
  server_ = std::move(*server);
  Say(fmt::format("\nlockstep serve is up: API {}, gateway {}; its state is {}",
                  server_->api().ToString(), server_->gateway().ToString(),
                  server_->state_directory().string()));
  return {};
}

Result<ActOutcome> DemoStory::Act(int number) {
  Clock::time_point start = Clock::now();
  Result<ActOutcome> outcome =
      number == 1   ? FirstRollout()
      : number == 2 ? HandlerFallback()
      : number == 3 ? BrokenContract()
      : number == 4 ? TheFix()
                    : Fail(ErrorCode::kInvalidArgument, fmt::format("there is no act {}", number));
  if (!outcome) return outcome;
  outcome->act = number;
  outcome->seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Say(outcome->trouble.empty()
          ? fmt::format("\nAct {} went as told ({:.0f}s).", number, outcome->seconds)
          : fmt::format("\nAct {} did NOT go as told: {}", number, outcome->trouble));
  return outcome;
}

Result<void> DemoStory::Commit(std::string_view patch) {
  Result<DemoCommit> commit =
      CommitPatch(settings_.directory / "registry-api", settings_.example / "acts" / patch);
  if (!commit) return std::unexpected(commit.error());
  Say(fmt::format("registry-api: committed {} \"{}\"", commit->id.substr(0, 7), commit->subject));
  return {};
}

Result<DemoStory::RolledOut> DemoStory::CommitAndRollOut(
    std::initializer_list<std::string_view> patches) {
  for (std::string_view patch : patches) {
    if (Result<void> committed = Commit(patch); !committed) {
      return std::unexpected(committed.error());
    }
  }
  Result<json> rollout = Rollout();
  if (!rollout) return std::unexpected(rollout.error());
  Result<json> services = Summary(*rollout);
  if (!services) return std::unexpected(services.error());
  return RolledOut{.rollout = std::move(*rollout), .services = std::move(*services)};
}

Result<json> DemoStory::Rollout() {
  Result<json> created = server_->Api({.method = "POST",
                                       .target = "/api/v1/rollouts",
                                       .body = json{{"actor", "lockstep demo"}},
                                       .needs_token = true,
                                       .timeout = std::chrono::minutes(2)});
  if (!created) return std::unexpected(created.error());
  if (!created->contains("id")) {
    return Fail(ErrorCode::kInternal, "lockstep found nothing to roll out");
  }
  int64_t id = created->value("id", int64_t{0});
  Say(fmt::format("\n$ lockstep up\nrollout {}: {}", id, created->value("strategy", "")));
  std::map<int64_t, std::string> shown;  // step number -> state printed
  Clock::time_point deadline = Clock::now() + kRolloutBound;
  json rollout = *created;
  while (true) {
    for (const json& step : rollout["steps"]) {
      std::string state = step.value("state", "");
      int64_t step_number = step.value("number", int64_t{0});
      if (state != "running" && shown[step_number] != state) Say(StepLine(step));
      shown[step_number] = state;
    }
    std::string state = rollout.value("state", "");
    if (state == "succeeded" || state == "failed" || state == "rejected") return rollout;
    if (Clock::now() >= deadline) {
      return Fail(ErrorCode::kCancelled, fmt::format("rollout {} did not end within {} minutes", id,
                                                     kRolloutBound.count()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(250));  // polling the server's state
    Result<json> current = server_->Api({.target = fmt::format("/api/v1/rollouts/{}", id)});
    if (!current) return std::unexpected(current.error());
    rollout = std::move(*current);
  }
}

Result<json> DemoStory::Summary(const json& rollout) {
  std::string reason = rollout.value("reason", "");
  Say(fmt::format("\nrollout {} {} in {}{}", rollout.value("id", 0), rollout.value("state", ""),
                  FormatMilliseconds(rollout["duration_ms"]), reason.empty() ? "" : ": " + reason));
  Say(fmt::format("  {:<11} {:<52} {:<10} {:>7}", "step", "subject", "result", "time"));
  for (const json& step : rollout["steps"]) {
    Say(fmt::format("  {:<11} {:<52} {:<10} {:>7}", step.value("kind", ""),
                    step.value("subject", ""), step.value("state", ""),
                    FormatMilliseconds(step["duration_ms"])));
  }
  Result<json> listed = server_->Api({.target = "/api/v1/services"});
  if (!listed) return std::unexpected(listed.error());
  json services = (*listed)["services"];
  Say(fmt::format("\n  {:<10} {:<28} {:<12} {}", "service", "release", "handler", "status"));
  for (const json& service : services) {
    std::string handler = service.value("handler", "");
    Say(fmt::format("  {:<10} {:<28} {:<12} {}", service.value("name", ""),
                    service.value("release", ""), handler.empty() ? "(static)" : handler,
                    service.value("status", "")));
  }
  return services;
}

Result<json> DemoStory::People() {
  Result<http::ClientResponse> listed = server_->Gateway("GET", "/api/people?limit=100");
  if (!listed) return std::unexpected(listed.error());
  json body = json::parse(listed->body, nullptr, false);
  if (listed->status != 200 || !body.is_object() || !body["items"].is_array()) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("GET /api/people through the gateway answered {}", listed->status));
  }
  return body["items"];
}

void DemoStory::ShowPeople(const json& people) {
  Say(fmt::format("\n  {:<4} {:<24} {:<26} {}", "id", "name", "email", "born"));
  for (const json& person : people) {
    Say(fmt::format("  {:<4} {:<24} {:<26} {}", person.value("id", 0),
                    person.value("first_name", "") + " " + person.value("last_name", ""),
                    EmailOf(person),
                    person["date_of_birth"].is_string() ? person.value("date_of_birth", "") : ""));
  }
}

Result<ActOutcome> DemoStory::FirstRollout() {
  Heading("Act 1: the first rollout",
          "registry-api builds, tests and packages the API. Its sources are synced into\n"
          "registry-infrastructure (api/src, with a manifest, committed there). The\n"
          "infrastructure builds the integrated, enhanced and legacy handlers, deploys the API\n"
          "at /api with that chain and tests it through the gateway. The frontend is deployed\n"
          "at /, and the integration tests check both through the same gateway. Compiling\n"
          "the C++ takes most of this act.");
  Result<RolledOut> act = CommitAndRollOut({});
  if (!act) return std::unexpected(act.error());
  const json& rollout = act->rollout;
  const json& services = act->services;

  ActOutcome outcome = OutcomeOf(rollout);
  Expect(outcome.state == "succeeded", "the rollout did not succeed", outcome.trouble);
  Expect(ServiceNamed(services, "api").value("handler", "") == "integrated",
         "the api is not served by the integrated handler", outcome.trouble);
  Expect(!ServiceNamed(services, "web").value("release", "").empty(),
         "the web page is not deployed", outcome.trouble);
  if (!outcome.trouble.empty()) return outcome;

  Say("\nThree people, added through the gateway (POST /api/people):");
  for (const NewPerson& person : kPeople) {
    json body = {{"first_name", person.first_name},
                 {"last_name", person.last_name},
                 {"email", person.email},
                 {"date_of_birth", person.date_of_birth}};
    Result<http::ClientResponse> created = server_->Gateway("POST", "/api/people", body.dump());
    if (!created) return std::unexpected(created.error());
    Expect(created->status == 201,
           fmt::format("adding {} answered {}", person.email, created->status), outcome.trouble);
    people_.emplace_back(person.email);
  }
  Result<json> people = People();
  if (!people) return std::unexpected(people.error());
  ShowPeople(*people);
  return outcome;
}

Result<ActOutcome> DemoStory::HandlerFallback() {
  Heading("Act 2: a commit whose newest handler fails its health check",
          "The API gains a nickname column, without a migration: a new database has it, the\n"
          "one the service already uses does not. The unit tests pass (they start from empty\n"
          "databases). Deployed, the integrated handler answers /health with 503, so the chain\n"
          "falls back to the enhanced handler, which serves the same data. The rollout\n"
          "succeeds, and says which handler serves and why.");
  Result<RolledOut> act = CommitAndRollOut({"2-nickname-without-migration.patch"});
  if (!act) return std::unexpected(act.error());
  const json& rollout = act->rollout;
  const json& services = act->services;
  json api = ServiceNamed(services, "api");
  fallback_release_ = api.value("release", "");

  ActOutcome outcome = OutcomeOf(rollout);
  Expect(outcome.state == "succeeded", "the rollout did not succeed", outcome.trouble);
  Expect(api.value("handler", "") == "enhanced", "the api is not served by the enhanced handler",
         outcome.trouble);
  Expect(Contains(outcome.reason, "fallback"), "the rollout does not report the fallback",
         outcome.trouble);
  return outcome;
}

Result<ActOutcome> DemoStory::BrokenContract() {
  Heading("Act 3: a healthy commit that breaks a post-deployment test",
          "The migration is fixed; and in the same push, responses call the email field\n"
          "email_address. The unit tests were updated with the rename and pass, and the handler\n"
          "is healthy; but the post-deployment tests through the gateway read `email`, and\n"
          "fail. The rollout stops, and every service it deployed goes back to the release it\n"
          "served before. The people are still there: the data lives outside every release.");
  Result<RolledOut> act = CommitAndRollOut({"3-migration.patch", "3-rename-email.patch"});
  if (!act) return std::unexpected(act.error());
  const json& rollout = act->rollout;
  const json& services = act->services;
  Result<json> people = People();
  if (!people) return std::unexpected(people.error());
  ShowPeople(*people);

  ActOutcome outcome = OutcomeOf(rollout);
  Expect(outcome.state == "failed", "the rollout did not fail", outcome.trouble);
  Expect(Contains(outcome.reason, "rolled back api"), "the api was not rolled back",
         outcome.trouble);
  Expect(ServiceNamed(services, "api").value("release", "") == fallback_release_,
         "the api does not serve the release it served before", outcome.trouble);
  for (const std::string& email : people_) {
    bool there = false;
    for (const json& person : *people) there = there || EmailOf(person) == email;
    Expect(there, fmt::format("{} is gone", email), outcome.trouble);
  }
  return outcome;
}

Result<ActOutcome> DemoStory::TheFix() {
  Heading("Act 4: the fix",
          "The rename is reverted; the migration stays. The integrated handler is healthy and\n"
          "serves again, the post-deployment and integration tests pass, and the audit chain of\n"
          "everything that happened verifies.");
  Result<RolledOut> act = CommitAndRollOut({"4-revert-rename.patch"});
  if (!act) return std::unexpected(act.error());
  const json& rollout = act->rollout;
  const json& services = act->services;

  ActOutcome outcome = OutcomeOf(rollout);
  Expect(outcome.state == "succeeded", "the rollout did not succeed", outcome.trouble);
  Expect(outcome.reason.empty(), "the rollout reports a fallback", outcome.trouble);
  Expect(ServiceNamed(services, "api").value("handler", "") == "integrated",
         "the api is not served by the integrated handler", outcome.trouble);

  Say("\n$ lockstep audit verify");
  Result<audit::AuditVerifyReport> verified = audit::VerifyAuditChain(server_->state_directory());
  if (!verified) return std::unexpected(verified.error());
  if (verified->intact()) {
    Say(fmt::format("the audit chain is intact: {} records, each hashed over the one before",
                    verified->records));
  } else {
    Say(fmt::format("the audit chain is broken: {}", verified->problem->ToString()));
  }
  Expect(verified->intact(), "the audit chain does not verify", outcome.trouble);
  return outcome;
}

void DemoStory::End() {
  const std::string gateway = server_->gateway().ToString();
  Heading("Where everything is", "");
  Say(fmt::format("  the application        {}/", gateway));
  Say(fmt::format("  the people API         {}/api/people", gateway));
  Say(fmt::format("  lockstep's API         {}/api/v1/status", server_->api().ToString()));
  Say(fmt::format("  the workspace          {}", settings_.directory.string()));
  Say(fmt::format("  the server's log       {}", server_->log_file().string()));
  Say(fmt::format(
      "\nAfterwards `cd {} && lockstep serve` brings the system back; `lockstep rollouts`,\n"
      "`lockstep rollout 3` and `lockstep audit log` there show what happened.",
      settings_.directory.string()));
}

}  // namespace lockstep::cli
