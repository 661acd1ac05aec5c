#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "store/runtime_store.h"
#include "store/sqlite_database.h"
#include "store/sqlite_runtime_store_test_util.h"
#include "store/sqlite_schema.h"
#include "store/sqlite_store.h"
#include "store/sqlite_store_impl.h"

namespace lockstep::store {
namespace {

class SqliteRuntimeStoreTest : public SqliteRuntimeStoreFixture {
 protected:
  static HandlerProcessRecord MakeProcess(int process_group, TimeMs started_at) {
    return HandlerProcessRecord{.process_group = process_group,
                                .start_time = 1000 + static_cast<uint64_t>(process_group),
                                .service = "api",
                                .release = "aaaaaaaaaaaaaaaaaaaa",
                                .handler = "fast",
                                .port = 40000 + process_group,
                                .role = "candidate",
                                .owner = {.pid = 77, .start_time = 5555},
                                .started_at = started_at};
  }

  std::vector<HandlerProcessRecord> Processes() {
    Result<std::vector<HandlerProcessRecord>> processes = store_->ListHandlerProcesses();
    EXPECT_TRUE(processes.has_value()) << processes.error().message();
    return processes.value_or(std::vector<HandlerProcessRecord>{});
  }

  static std::vector<int> Groups(const std::vector<HandlerProcessRecord>& processes) {
    std::vector<int> groups;
    for (const HandlerProcessRecord& process : processes) groups.push_back(process.process_group);
    return groups;
  }

  static std::vector<std::string> Messages(const Result<std::vector<ServiceEvent>>& events) {
    EXPECT_TRUE(events.has_value()) << events.error().message();
    std::vector<std::string> messages;
    for (const ServiceEvent& event : events.value_or(std::vector<ServiceEvent>{})) {
      messages.push_back(event.service + ": " + event.message);
    }
    return messages;
  }
};

void ExpectSameProcess(const HandlerProcessRecord& got, const HandlerProcessRecord& want) {
  EXPECT_EQ(got.process_group, want.process_group);
  EXPECT_EQ(got.start_time, want.start_time);
  EXPECT_EQ(got.service, want.service);
  EXPECT_EQ(got.release, want.release);
  EXPECT_EQ(got.handler, want.handler);
  EXPECT_EQ(got.port, want.port);
  EXPECT_EQ(got.role, want.role);
  EXPECT_EQ(got.owner.pid, want.owner.pid);
  EXPECT_EQ(got.owner.start_time, want.owner.start_time);
  EXPECT_EQ(got.started_at, want.started_at);
}

TEST_F(SqliteRuntimeStoreTest, NewServiceHasNothingServing) {
  TimeMs before = NowMs();
  AddService("api", R"({"handlers":["main"]})");
  TimeMs after = NowMs();
  ServiceRecord service = Service("api");
  EXPECT_EQ(service.name, "api");
  EXPECT_EQ(service.spec_json, R"({"handlers":["main"]})");
  EXPECT_EQ(service.serving, ServingState{});
  EXPECT_GE(service.created_at, before);
  EXPECT_LE(service.created_at, after);
  EXPECT_EQ(service.updated_at, service.created_at);
}

TEST_F(SqliteRuntimeStoreTest, PutServiceReplacesTheDefinitionAndKeepsWhatServes) {
  AddService("api", "{\"v\":1}");
  ServingState serving{.release = "aaaaaaaaaaaaaaaaaaaa",
                       .handler = "fast",
                       .previous_release = "bbbbbbbbbbbbbbbbbbbb",
                       .previous_handler = "safe",
                       .status = "degraded",
                       .reason = "fast is not healthy"};
  ASSERT_TRUE(store_->SetServing("api", serving).has_value());
  TimeMs created = Service("api").created_at;

  AddService("api", "{\"v\":2}");
  ServiceRecord service = Service("api");
  EXPECT_EQ(service.spec_json, "{\"v\":2}");
  EXPECT_EQ(service.serving, serving);
  EXPECT_EQ(service.created_at, created);
  EXPECT_GE(service.updated_at, created);
}

TEST_F(SqliteRuntimeStoreTest, ServiceErrors) {
  ExpectFailure(store_->PutService("", "{}"), ErrorCode::kInvalidArgument,
                "state store: cannot record service '': a service needs a name");
  ExpectFailure(store_->GetService("nope"), ErrorCode::kNotFound,
                "state store: cannot read service 'nope': no such service");
  ExpectFailure(store_->SetServing("nope", ServingState{}), ErrorCode::kNotFound,
                "state store: cannot record what serves service 'nope': no such service");
  EXPECT_TRUE(store_->ListServices()->empty());
}

TEST_F(SqliteRuntimeStoreTest, ListsServicesByName) {
  AddService("web", "{\"w\":1}");
  AddService("api");
  AddService("docs");
  Result<std::vector<ServiceRecord>> services = store_->ListServices();
  ASSERT_TRUE(services.has_value()) << services.error().message();
  ASSERT_EQ(services->size(), 3u);
  EXPECT_EQ((*services)[0].name, "api");
  EXPECT_EQ((*services)[1].name, "docs");
  EXPECT_EQ((*services)[2].name, "web");
  EXPECT_EQ((*services)[2].spec_json, "{\"w\":1}");
}

TEST_F(SqliteRuntimeStoreTest, ReleaseRoundTripsAndTheFirstRecordStands) {
  AddService("api");
  ReleaseRecord release = MakeRelease("api", "0123456789abcdef0123", 1'700'000'000'000);
  ASSERT_TRUE(store_->PutRelease(release).has_value());

  ReleaseRecord again = release;
  again.path = "/elsewhere";
  again.created_at = 1'800'000'000'000;
  ASSERT_TRUE(store_->PutRelease(again).has_value());

  Result<ReleaseRecord> stored = store_->GetRelease("api", "0123456789abcdef0123");
  ASSERT_TRUE(stored.has_value()) << stored.error().message();
  EXPECT_EQ(stored->service, "api");
  EXPECT_EQ(stored->id, "0123456789abcdef0123");
  EXPECT_EQ(stored->path, "/state/releases/api/0123456789abcdef0123");
  EXPECT_EQ(stored->spec_json, R"({"handlers":["main"]})");
  EXPECT_EQ(stored->files, 3);
  EXPECT_EQ(stored->bytes, 1234);
  EXPECT_EQ(stored->created_at, 1'700'000'000'000);
  EXPECT_EQ(store_->ListReleases("api")->size(), 1u);
}

TEST_F(SqliteRuntimeStoreTest, ReleaseWithoutTimeGetsTheTimeOfTheCall) {
  AddService("api");
  TimeMs before = NowMs();
  AddRelease("api", "aaaaaaaaaaaaaaaaaaaa");
  TimeMs after = NowMs();
  TimeMs created = store_->GetRelease("api", "aaaaaaaaaaaaaaaaaaaa")->created_at;
  EXPECT_GE(created, before);
  EXPECT_LE(created, after);
}

TEST_F(SqliteRuntimeStoreTest, ReleaseErrors) {
  ExpectFailure(store_->PutRelease(MakeRelease("api", "aaaaaaaaaaaaaaaaaaaa")),
                ErrorCode::kNotFound,
                "state store: cannot record release 'aaaaaaaaaaaaaaaaaaaa' of service 'api': no "
                "such service");
  AddService("api");
  ExpectFailure(store_->PutRelease(MakeRelease("api", "")), ErrorCode::kInvalidArgument,
                "state store: cannot record release '' of service 'api': a release needs an id");
  ExpectFailure(store_->GetRelease("api", "bbbbbbbbbbbbbbbbbbbb"), ErrorCode::kNotFound,
                "state store: cannot read release 'bbbbbbbbbbbbbbbbbbbb' of service 'api': no "
                "such release");
  EXPECT_TRUE(store_->ListReleases("api")->empty());
  EXPECT_TRUE(store_->ListReleases("unknown")->empty());
}

TEST_F(SqliteRuntimeStoreTest, ListsReleasesOfOneServiceNewestFirst) {
  AddService("api");
  AddService("web");
  AddRelease("api", "a1", 100);
  AddRelease("api", "a3", 300);
  AddRelease("web", "w1", 500);
  AddRelease("api", "a2", 200);
  AddRelease("api", "a2-twin", 200);  // same millisecond: the later record is newer
  Result<std::vector<ReleaseRecord>> releases = store_->ListReleases("api");
  ASSERT_TRUE(releases.has_value()) << releases.error().message();
  std::vector<std::string> ids;
  for (const ReleaseRecord& release : *releases) ids.push_back(release.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"a3", "a2-twin", "a2", "a1"}));
}

TEST_F(SqliteRuntimeStoreTest, HandlerProcessRoundTripsStartTimesAbove2To63) {
  HandlerProcessRecord process = MakeProcess(4321, 1'700'000'000'000);
  process.start_time = (uint64_t{1} << 63) + 12345;
  process.owner.start_time = std::numeric_limits<uint64_t>::max();
  ASSERT_TRUE(store_->PutHandlerProcess(process).has_value());
  HandlerProcessRecord small = MakeProcess(17, 1'700'000'000'001);
  small.start_time = 0;
  ASSERT_TRUE(store_->PutHandlerProcess(small).has_value());

  std::vector<HandlerProcessRecord> processes = Processes();
  ASSERT_EQ(processes.size(), 2u);
  ExpectSameProcess(processes[0], process);
  ExpectSameProcess(processes[1], small);
  // The same bits on disk, as the schema promises.
  Result<SqliteDatabase> db = SqliteDatabase::Open(path_);
  ASSERT_TRUE(db.has_value()) << db.error().message();
  EXPECT_EQ(db->QueryInt("SELECT start_time FROM handler_processes WHERE process_group = 4321"),
            static_cast<int64_t>((uint64_t{1} << 63) + 12345));
}

TEST_F(SqliteRuntimeStoreTest, HandlerProcessesListOldestFirstAndChangeRole) {
  ASSERT_TRUE(store_->PutHandlerProcess(MakeProcess(300, 3000)).has_value());
  ASSERT_TRUE(store_->PutHandlerProcess(MakeProcess(100, 1000)).has_value());
  ASSERT_TRUE(store_->PutHandlerProcess(MakeProcess(200, 2000)).has_value());
  EXPECT_EQ(Groups(Processes()), (std::vector<int>{100, 200, 300}));

  ASSERT_TRUE(store_->SetHandlerRole(200, "active").has_value());
  EXPECT_EQ(Processes()[1].role, "active");
  EXPECT_EQ(Processes()[0].role, "candidate");

  // Recording the same group again replaces its record.
  HandlerProcessRecord replaced = MakeProcess(100, 4000);
  replaced.handler = "safe";
  replaced.role = "warm";
  ASSERT_TRUE(store_->PutHandlerProcess(replaced).has_value());
  std::vector<HandlerProcessRecord> processes = Processes();
  EXPECT_EQ(Groups(processes), (std::vector<int>{200, 300, 100}));
  ExpectSameProcess(processes[2], replaced);

  ASSERT_TRUE(store_->RemoveHandlerProcess(200).has_value());
  ASSERT_TRUE(store_->RemoveHandlerProcess(200).has_value());  // already gone: fine
  EXPECT_EQ(Groups(Processes()), (std::vector<int>{300, 100}));
}

TEST_F(SqliteRuntimeStoreTest, HandlerProcessErrors) {
  ExpectFailure(store_->SetHandlerRole(99, "active"), ErrorCode::kNotFound,
                "state store: cannot change the role of handler process group 99: it is not "
                "recorded");
  ExpectFailure(store_->PutHandlerProcess(MakeProcess(0, 1)), ErrorCode::kInvalidArgument,
                "state store: cannot record handler process group 0: a process group id must "
                "be positive");
  ExpectFailure(store_->PutHandlerProcess(MakeProcess(-5, 1)), ErrorCode::kInvalidArgument,
                "state store: cannot record handler process group -5: a process group id must "
                "be positive");
  EXPECT_TRUE(Processes().empty());
}

TEST_F(SqliteRuntimeStoreTest, HandlerProcessWithoutTimeGetsTheTimeOfTheCall) {
  TimeMs before = NowMs();
  ASSERT_TRUE(store_->PutHandlerProcess(MakeProcess(5, 0)).has_value());
  TimeMs after = NowMs();
  ASSERT_EQ(Processes().size(), 1u);
  EXPECT_GE(Processes()[0].started_at, before);
  EXPECT_LE(Processes()[0].started_at, after);
}

TEST_F(SqliteRuntimeStoreTest, EventsListNewestFirstPerServiceUpToLimit) {
  AddService("api");
  AddService("web");
  AddRelease("api", "aaaaaaaaaaaaaaaaaaaa");
  DeploymentId deployment = Create(MakeDeployment("api", "aaaaaaaaaaaaaaaaaaaa"));

  TimeMs before = NowMs();
  Result<int64_t> first = store_->AppendEvent("api", "deploy-started", "one", deployment);
  ASSERT_TRUE(first.has_value()) << first.error().message();
  Result<int64_t> second = store_->AppendEvent("web", "restart", "two", std::nullopt);
  ASSERT_TRUE(second.has_value()) << second.error().message();
  Result<int64_t> third = store_->AppendEvent("api", "cutover", "three", deployment);
  ASSERT_TRUE(third.has_value()) << third.error().message();
  TimeMs after = NowMs();
  EXPECT_LT(*first, *second);
  EXPECT_LT(*second, *third);

  Result<std::vector<ServiceEvent>> api = store_->ListEvents("api", 10);
  ASSERT_TRUE(api.has_value()) << api.error().message();
  ASSERT_EQ(api->size(), 2u);
  const ServiceEvent& latest = (*api)[0];
  EXPECT_EQ(latest.id, *third);
  EXPECT_EQ(latest.service, "api");
  EXPECT_EQ(latest.kind, "cutover");
  EXPECT_EQ(latest.message, "three");
  EXPECT_EQ(latest.deployment, deployment);
  EXPECT_GE(latest.time, before);
  EXPECT_LE(latest.time, after);
  EXPECT_EQ((*api)[1].id, *first);

  EXPECT_EQ(Messages(store_->ListEvents("", 10)),
            (std::vector<std::string>{"api: three", "web: two", "api: one"}));
  EXPECT_EQ(Messages(store_->ListEvents("", 2)),
            (std::vector<std::string>{"api: three", "web: two"}));
  EXPECT_EQ(Messages(store_->ListEvents("api", 1)), (std::vector<std::string>{"api: three"}));
  Result<std::vector<ServiceEvent>> web = store_->ListEvents("web", 10);
  ASSERT_EQ(web->size(), 1u);
  EXPECT_EQ((*web)[0].deployment, std::nullopt);
  EXPECT_TRUE(store_->ListEvents("api", 0)->empty());
  EXPECT_TRUE(store_->ListEvents("docs", 10)->empty());
}

TEST_F(SqliteRuntimeStoreTest, AppendEventErrors) {
  ExpectFailure(store_->AppendEvent("api", "restart", "x", std::nullopt), ErrorCode::kNotFound,
                "state store: cannot record an event of service 'api': no such service");
  AddService("api");
  AddService("web");
  ExpectFailure(store_->AppendEvent("api", "restart", "x", 12), ErrorCode::kNotFound,
                "state store: cannot record an event of service 'api': no such deployment 12");
  AddRelease("web", "cccccccccccccccccccc");
  DeploymentId web = Create(MakeDeployment("web", "cccccccccccccccccccc"));
  ExpectFailure(store_->AppendEvent("api", "restart", "x", web), ErrorCode::kInvalidArgument,
                "state store: cannot record an event of service 'api': deployment 1 is of "
                "service 'web'");
  EXPECT_TRUE(store_->ListEvents("", 10)->empty());
}

TEST_F(SqliteRuntimeStoreTest, TwoStoreObjectsOnOneFileSeeEachOthersWrites) {
  std::unique_ptr<RuntimeStore> other = Open();
  ASSERT_NE(other, nullptr);
  Result<std::unique_ptr<Store>> runs = OpenSqliteStore(path_);
  ASSERT_TRUE(runs.has_value()) << runs.error().message();

  AddService("api");
  AddRelease("api", "aaaaaaaaaaaaaaaaaaaa");
  Result<ServiceRecord> seen = other->GetService("api");
  ASSERT_TRUE(seen.has_value()) << seen.error().message();
  Result<DeploymentId> id = other->CreateDeployment(MakeDeployment("api", "aaaaaaaaaaaaaaaaaaaa"));
  ASSERT_TRUE(id.has_value()) << id.error().message();
  EXPECT_EQ(Get(*id).state, DeploymentState::kQueued);
  ASSERT_TRUE(store_->StartDeployment(*id, "").has_value());
  EXPECT_EQ(other->GetDeployment(*id)->state, DeploymentState::kRunning);

  NewRun run{.workflow = "CI",
             .workflow_file = "ci.yaml",
             .repository = "/src",
             .commit = "c0ffee",
             .branch = "main",
             .mode = RunMode::kParallel,
             .owner = {.pid = 1, .start_time = 2},
             .actions = {"Build"}};
  ASSERT_TRUE((*runs)->CreateRun(run).has_value());
  EXPECT_EQ((*runs)->ListRuns(10)->size(), 1u);
  EXPECT_EQ(other->ListDeployments("", 10)->size(), 1u);

  // Writers on both connections at once, each call a transaction of its own.
  constexpr int kEvents = 40;
  std::vector<int> failures(2, 0);
  std::thread first([&] {
    for (int i = 0; i < kEvents; ++i) {
      if (!store_->AppendEvent("api", "note", "first", std::nullopt)) ++failures[0];
    }
  });
  std::thread second([&] {
    for (int i = 0; i < kEvents; ++i) {
      if (!other->AppendEvent("api", "note", "second", std::nullopt)) ++failures[1];
      if (!(*runs)->CreateRun(run)) ++failures[1];
    }
  });
  first.join();
  second.join();
  EXPECT_EQ(failures, (std::vector<int>{0, 0}));
  EXPECT_EQ(store_->ListEvents("api", 1000)->size(), size_t{2 * kEvents});
  EXPECT_EQ((*runs)->ListRuns(1000)->size(), size_t{kEvents + 1});
}

TEST_F(SqliteRuntimeStoreTest, SeveralProcessesShareTheStore) {
  AddService("api");
  constexpr int kChildren = 4;
  constexpr int kEvents = 25;
  std::vector<pid_t> children;
  for (int i = 0; i < kChildren; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int failed = 0;
      Result<std::unique_ptr<RuntimeStore>> store = OpenSqliteRuntimeStore(path_);
      if (!store) std::fprintf(stderr, "child: %s\n", store.error().message().c_str());
      for (int e = 0; store && e < kEvents; ++e) {
        Result<int64_t> appended = (*store)->AppendEvent("api", "note", "child", std::nullopt);
        if (!appended) {
          std::fprintf(stderr, "child: %s\n", appended.error().message().c_str());
          ++failed;
        }
      }
      _exit(store && failed == 0 ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  Result<std::vector<ServiceEvent>> events = store_->ListEvents("api", 1000);
  ASSERT_TRUE(events.has_value()) << events.error().message();
  EXPECT_EQ(events->size(), size_t{kChildren * kEvents});
}

// A store written by a build that knew only schema version 1 keeps its runs when the runtime
// store opens it and adds version 2.
TEST(SqliteRuntimeStoreMigrationTest, MigratesAVersion1StoreWithoutLosingRuns) {
  testing::TempDir dir;
  std::filesystem::path path = dir.path() / "state.db";
  RunId run = 0;
  {
    Result<SqliteDatabase> db = SqliteDatabase::Open(path);
    ASSERT_TRUE(db.has_value()) << db.error().message();
    ASSERT_TRUE(PrepareStore(*db, path, SqliteMigrations().first(1)).has_value());
    SqliteStore old_store(std::move(*db));
    Result<RunId> created = old_store.CreateRun(NewRun{.workflow = "CI",
                                                       .workflow_file = "ci.yaml",
                                                       .repository = "/src",
                                                       .commit = "c0ffee",
                                                       .branch = "main",
                                                       .mode = RunMode::kQueued,
                                                       .owner = {.pid = 1, .start_time = 2},
                                                       .actions = {"Build", "Test"}});
    ASSERT_TRUE(created.has_value()) << created.error().message();
    run = *created;
    ASSERT_EQ(old_store.Admit(run), Admission::kAdmitted);
    Store::ActionUpdate update;
    update.state = ActionState::kRunning;
    update.log_path = "/logs/Build.1.log";
    ASSERT_TRUE(old_store.UpdateAction(run, "Build", update).has_value());
    ASSERT_TRUE(old_store.SetVariables(run, "Build", {{"Build", "V", "1"}}).has_value());
  }
  {
    Result<SqliteDatabase> db = SqliteDatabase::Open(path);
    ASSERT_TRUE(db.has_value());
    EXPECT_EQ(db->QueryInt("PRAGMA user_version"), 1);
  }

  Result<std::unique_ptr<RuntimeStore>> runtime = OpenSqliteRuntimeStore(path);
  ASSERT_TRUE(runtime.has_value()) << runtime.error().message();
  {
    Result<SqliteDatabase> db = SqliteDatabase::Open(path);
    ASSERT_TRUE(db.has_value());
    EXPECT_EQ(db->QueryInt("PRAGMA user_version"), SqliteSchemaVersion());
  }
  ASSERT_TRUE((*runtime)->PutService("api", "{}").has_value());
  EXPECT_EQ((*runtime)->GetService("api")->name, "api");

  Result<std::unique_ptr<Store>> store = OpenSqliteStore(path);
  ASSERT_TRUE(store.has_value()) << store.error().message();
  Result<RunRecord> record = (*store)->GetRun(run);
  ASSERT_TRUE(record.has_value()) << record.error().message();
  EXPECT_EQ(record->workflow, "CI");
  EXPECT_EQ(record->state, RunState::kRunning);
  Result<std::vector<ActionRecord>> actions = (*store)->ListActions(run);
  ASSERT_TRUE(actions.has_value());
  ASSERT_EQ(actions->size(), 2u);
  EXPECT_EQ((*actions)[0].state, ActionState::kRunning);
  EXPECT_EQ((*actions)[0].log_path, "/logs/Build.1.log");
  EXPECT_EQ((*store)->ListAttempts(run)->size(), 1u);
  EXPECT_EQ((*store)->ListVariables(run)->at(0).value, "1");
  // Ids keep counting from where version 1 left off.
  Result<RunId> next = (*store)->CreateRun(NewRun{.workflow = "CI",
                                                  .workflow_file = "ci.yaml",
                                                  .repository = "/src",
                                                  .commit = "c0ffee",
                                                  .branch = "main",
                                                  .mode = RunMode::kParallel,
                                                  .owner = {.pid = 1, .start_time = 2},
                                                  .actions = {"Build"}});
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(*next, run + 1);
}

}  // namespace
}  // namespace lockstep::store
