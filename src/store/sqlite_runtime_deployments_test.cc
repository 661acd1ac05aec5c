#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "store/runtime_store.h"
#include "store/sqlite_database.h"
#include "store/sqlite_runtime_store_test_util.h"

namespace lockstep::store {
namespace {

class SqliteRuntimeDeploymentsTest : public SqliteRuntimeStoreFixture {
 protected:
  void SetUp() override {
    SqliteRuntimeStoreFixture::SetUp();
    AddService("api");
    AddRelease("api", "aaaaaaaaaaaaaaaaaaaa");
    AddRelease("api", "bbbbbbbbbbbbbbbbbbbb");
  }

  DeploymentId Started(const NewDeployment& deployment, std::string_view from = "") {
    DeploymentId id = Create(deployment);
    Result<void> started = store_->StartDeployment(id, from);
    EXPECT_TRUE(started.has_value()) << started.error().message();
    return id;
  }

  static ServingState Serving(std::string release, std::string handler) {
    return ServingState{.release = std::move(release),
                        .handler = std::move(handler),
                        .previous_release = "aaaaaaaaaaaaaaaaaaaa",
                        .previous_handler = "fast",
                        .status = "serving",
                        .reason = ""};
  }

  static std::vector<DeploymentId> Ids(const std::vector<DeploymentRecord>& deployments) {
    std::vector<DeploymentId> ids;
    for (const DeploymentRecord& deployment : deployments) ids.push_back(deployment.id);
    return ids;
  }
};

TEST_F(SqliteRuntimeDeploymentsTest, NamesRoundTrip) {
  EXPECT_EQ(ToString(DeploymentKind::kDeploy), "deploy");
  EXPECT_EQ(ToString(DeploymentKind::kRollback), "rollback");
  EXPECT_EQ(ToString(DeploymentKind::kFailover), "failover");
  EXPECT_EQ(ToString(DeploymentKind::kRestore), "restore");
  EXPECT_EQ(ToString(DeploymentState::kQueued), "queued");
  EXPECT_EQ(ToString(DeploymentState::kRunning), "running");
  EXPECT_EQ(ToString(DeploymentState::kSucceeded), "succeeded");
  EXPECT_EQ(ToString(DeploymentState::kFailed), "failed");
  EXPECT_EQ(ToString(DeploymentState::kInterrupted), "interrupted");
  for (DeploymentKind kind : {DeploymentKind::kDeploy, DeploymentKind::kRollback,
                              DeploymentKind::kFailover, DeploymentKind::kRestore}) {
    EXPECT_EQ(ParseDeploymentKind(ToString(kind)), kind);
  }
  for (DeploymentState state :
       {DeploymentState::kQueued, DeploymentState::kRunning, DeploymentState::kSucceeded,
        DeploymentState::kFailed, DeploymentState::kInterrupted}) {
    EXPECT_EQ(ParseDeploymentState(ToString(state)), state);
  }
  EXPECT_EQ(ParseDeploymentKind("Deploy"), std::nullopt);
  EXPECT_EQ(ParseDeploymentState(""), std::nullopt);
  EXPECT_EQ(ParseDeploymentState("cancelled"), std::nullopt);
}

TEST_F(SqliteRuntimeDeploymentsTest, CreatesQueuedDeploymentWithUntriedCandidates) {
  NewDeployment request = MakeDeployment("api", "bbbbbbbbbbbbbbbbbbbb", {"fast", "safe", "slow"});
  request.kind = DeploymentKind::kFailover;
  request.actor = "lockstep";
  request.reason = "fast crash-looped";
  TimeMs before = NowMs();
  DeploymentId id = Create(request);
  TimeMs after = NowMs();

  DeploymentRecord deployment = Get(id);
  EXPECT_EQ(deployment.id, id);
  EXPECT_EQ(deployment.service, "api");
  EXPECT_EQ(deployment.release, "bbbbbbbbbbbbbbbbbbbb");
  EXPECT_EQ(deployment.kind, DeploymentKind::kFailover);
  EXPECT_EQ(deployment.state, DeploymentState::kQueued);
  EXPECT_EQ(deployment.actor, "lockstep");
  EXPECT_EQ(deployment.reason, "fast crash-looped");
  EXPECT_EQ(deployment.from_release, "");
  EXPECT_EQ(deployment.handler, "");
  EXPECT_EQ(deployment.candidates,
            (std::vector<CandidateOutcome>{{"fast", ""}, {"safe", ""}, {"slow", ""}}));
  EXPECT_GE(deployment.created_at, before);
  EXPECT_LE(deployment.created_at, after);
  EXPECT_EQ(deployment.started_at, std::nullopt);
  EXPECT_EQ(deployment.finished_at, std::nullopt);

  // A static service's deployment has no chain.
  DeploymentRecord plain = Get(Create(MakeDeployment("api", "aaaaaaaaaaaaaaaaaaaa", {})));
  EXPECT_TRUE(plain.candidates.empty());
  EXPECT_EQ(plain.id, id + 1);
}

TEST_F(SqliteRuntimeDeploymentsTest, CreateRefusesUnknownServiceOrRelease) {
  ExpectFailure(store_->CreateDeployment(MakeDeployment("web", "aaaaaaaaaaaaaaaaaaaa")),
                ErrorCode::kNotFound,
                "state store: cannot create a deployment of release 'aaaaaaaaaaaaaaaaaaaa' of "
                "service 'web': no such service");
  ExpectFailure(store_->CreateDeployment(MakeDeployment("api", "cccccccccccccccccccc")),
                ErrorCode::kNotFound,
                "state store: cannot create a deployment of release 'cccccccccccccccccccc' of "
                "service 'api': no such release");
  EXPECT_TRUE(store_->ListDeployments("", 10)->empty());
}

TEST_F(SqliteRuntimeDeploymentsTest, LifecycleRecordsCandidatesAndCutoverTogether) {
  ServingState old_serving{.release = "aaaaaaaaaaaaaaaaaaaa",
                           .handler = "fast",
                           .previous_release = "",
                           .previous_handler = "",
                           .status = "serving",
                           .reason = ""};
  ASSERT_TRUE(store_->SetServing("api", old_serving).has_value());
  DeploymentId id = Create(MakeDeployment("api", "bbbbbbbbbbbbbbbbbbbb"));

  TimeMs before = NowMs();
  ASSERT_TRUE(store_->StartDeployment(id, "aaaaaaaaaaaaaaaaaaaa").has_value());
  DeploymentRecord running = Get(id);
  EXPECT_EQ(running.state, DeploymentState::kRunning);
  EXPECT_EQ(running.from_release, "aaaaaaaaaaaaaaaaaaaa");
  ASSERT_TRUE(running.started_at.has_value());
  EXPECT_GE(*running.started_at, before);

  ASSERT_TRUE(store_->RecordCandidate(id, 0, "exited with code 1").has_value());
  EXPECT_EQ(Get(id).candidates,
            (std::vector<CandidateOutcome>{{"fast", "exited with code 1"}, {"safe", ""}}));
  ASSERT_TRUE(store_->RecordCandidate(id, 1, "healthy").has_value());

  ServingState serving = Serving("bbbbbbbbbbbbbbbbbbbb", "safe");
  Result<void> finished =
      store_->FinishDeployment(id, DeploymentState::kSucceeded, "safe", "", serving);
  ASSERT_TRUE(finished.has_value()) << finished.error().message();

  DeploymentRecord done = Get(id);
  EXPECT_EQ(done.state, DeploymentState::kSucceeded);
  EXPECT_EQ(done.handler, "safe");
  EXPECT_EQ(done.reason, "");
  EXPECT_EQ(done.candidates,
            (std::vector<CandidateOutcome>{{"fast", "exited with code 1"}, {"safe", "healthy"}}));
  ASSERT_TRUE(done.finished_at.has_value());
  EXPECT_GE(*done.finished_at, *done.started_at);
  EXPECT_EQ(Service("api").serving, serving);
}

TEST_F(SqliteRuntimeDeploymentsTest, FailureReasonReplacesTheRequestsAndServingIsOptional) {
  ServingState before{.release = "aaaaaaaaaaaaaaaaaaaa",
                      .handler = "fast",
                      .previous_release = "",
                      .previous_handler = "",
                      .status = "serving",
                      .reason = ""};
  ASSERT_TRUE(store_->SetServing("api", before).has_value());
  NewDeployment request = MakeDeployment("api", "bbbbbbbbbbbbbbbbbbbb");
  request.reason = "asked by the workflow";
  DeploymentId failed = Started(request, "aaaaaaaaaaaaaaaaaaaa");
  ASSERT_TRUE(store_
                  ->FinishDeployment(failed, DeploymentState::kFailed, "",
                                     "no candidate became healthy", std::nullopt)
                  .has_value());
  EXPECT_EQ(Get(failed).state, DeploymentState::kFailed);
  EXPECT_EQ(Get(failed).reason, "no candidate became healthy");
  EXPECT_EQ(Service("api").serving, before);

  DeploymentId succeeded = Started(request);
  ASSERT_TRUE(
      store_->FinishDeployment(succeeded, DeploymentState::kSucceeded, "fast", "", std::nullopt)
          .has_value());
  EXPECT_EQ(Get(succeeded).reason, "asked by the workflow");
}

TEST_F(SqliteRuntimeDeploymentsTest, StartsOnlyQueuedDeployments) {
  DeploymentId id = Started(MakeDeployment("api", "aaaaaaaaaaaaaaaaaaaa"));
  DeploymentRecord before = Get(id);
  ExpectFailure(store_->StartDeployment(id, "bbbbbbbbbbbbbbbbbbbb"), ErrorCode::kInvalidArgument,
                "state store: cannot start deployment 1: it is running, not queued");
  EXPECT_EQ(Get(id).from_release, before.from_release);
  EXPECT_EQ(Get(id).started_at, before.started_at);
  ExpectFailure(store_->StartDeployment(99, ""), ErrorCode::kNotFound,
                "state store: cannot start deployment 99: no such deployment");
}

TEST_F(SqliteRuntimeDeploymentsTest, RecordCandidateChecksIndexAndState) {
  DeploymentId id = Started(MakeDeployment("api", "aaaaaaaaaaaaaaaaaaaa"));
  ExpectFailure(store_->RecordCandidate(id, 2, "healthy"), ErrorCode::kInvalidArgument,
                "state store: cannot record candidate 2 of deployment 1: the chain has 2 "
                "candidates");
  DeploymentId single = Create(MakeDeployment("api", "aaaaaaaaaaaaaaaaaaaa", {"only"}));
  ExpectFailure(store_->RecordCandidate(single, 1, "healthy"), ErrorCode::kInvalidArgument,
                "state store: cannot record candidate 1 of deployment 2: the chain has 1 "
                "candidate");
  ExpectFailure(store_->RecordCandidate(42, 0, "healthy"), ErrorCode::kNotFound,
                "state store: cannot record candidate 0 of deployment 42: no such deployment");

  ASSERT_TRUE(store_->FinishDeployment(id, DeploymentState::kFailed, "", "gave up", std::nullopt)
                  .has_value());
  ExpectFailure(store_->RecordCandidate(id, 0, "healthy"), ErrorCode::kInvalidArgument,
                "state store: cannot record candidate 0 of deployment 1: it already ended as "
                "failed");
  EXPECT_EQ(Get(id).candidates, (std::vector<CandidateOutcome>{{"fast", ""}, {"safe", ""}}));
}

TEST_F(SqliteRuntimeDeploymentsTest, FinishRefusesStatesThatAreNotFinal) {
  DeploymentId id = Started(MakeDeployment("api", "aaaaaaaaaaaaaaaaaaaa"));
  ExpectFailure(store_->FinishDeployment(id, DeploymentState::kRunning, "", "", std::nullopt),
                ErrorCode::kInvalidArgument,
                "state store: cannot finish deployment 1: 'running' is not a final state");
  ExpectFailure(store_->FinishDeployment(id, DeploymentState::kQueued, "", "", std::nullopt),
                ErrorCode::kInvalidArgument,
                "state store: cannot finish deployment 1: 'queued' is not a final state");
  ExpectFailure(store_->FinishDeployment(7, DeploymentState::kFailed, "", "", std::nullopt),
                ErrorCode::kNotFound,
                "state store: cannot finish deployment 7: no such deployment");
  EXPECT_EQ(Get(id).state, DeploymentState::kRunning);
}

TEST_F(SqliteRuntimeDeploymentsTest, FinishingTwiceIsRefusedAndChangesNothing) {
  DeploymentId id = Started(MakeDeployment("api", "bbbbbbbbbbbbbbbbbbbb"));
  ServingState first = Serving("bbbbbbbbbbbbbbbbbbbb", "fast");
  ASSERT_TRUE(
      store_->FinishDeployment(id, DeploymentState::kSucceeded, "fast", "", first).has_value());
  DeploymentRecord before = Get(id);

  ServingState second = Serving("aaaaaaaaaaaaaaaaaaaa", "safe");
  ExpectFailure(store_->FinishDeployment(id, DeploymentState::kFailed, "safe", "late", second),
                ErrorCode::kInvalidArgument,
                "state store: cannot finish deployment 1: it already ended as succeeded");

  DeploymentRecord after = Get(id);
  EXPECT_EQ(after.state, DeploymentState::kSucceeded);
  EXPECT_EQ(after.handler, before.handler);
  EXPECT_EQ(after.reason, before.reason);
  EXPECT_EQ(after.finished_at, before.finished_at);
  EXPECT_EQ(Service("api").serving, first);
}

// The serving state is written last in FinishDeployment's transaction; a trigger that makes
// that write fail shows that the deployment's end is rolled back with it.
TEST_F(SqliteRuntimeDeploymentsTest, FailedCutoverLeavesTheDeploymentUnfinished) {
  DeploymentId id = Started(MakeDeployment("api", "bbbbbbbbbbbbbbbbbbbb"));
  ASSERT_TRUE(store_->RecordCandidate(id, 0, "healthy").has_value());
  {
    Result<SqliteDatabase> db = SqliteDatabase::Open(path_);
    ASSERT_TRUE(db.has_value()) << db.error().message();
    ASSERT_TRUE(db->ExecuteScript("CREATE TRIGGER refuse_serving BEFORE UPDATE ON services "
                                  "BEGIN SELECT RAISE(ABORT, 'refused'); END")
                    .has_value());
  }
  ServingState serving = Serving("bbbbbbbbbbbbbbbbbbbb", "fast");
  Result<void> finished =
      store_->FinishDeployment(id, DeploymentState::kSucceeded, "fast", "", serving);
  ASSERT_FALSE(finished.has_value());
  EXPECT_EQ(finished.error().code(), ErrorCode::kInternal);
  EXPECT_EQ(finished.error().message(),
            "state store: cannot finish deployment 1: constraint failed");

  DeploymentRecord deployment = Get(id);
  EXPECT_EQ(deployment.state, DeploymentState::kRunning);
  EXPECT_EQ(deployment.handler, "");
  EXPECT_EQ(deployment.finished_at, std::nullopt);
  EXPECT_EQ(Service("api").serving, ServingState{});

  {
    Result<SqliteDatabase> db = SqliteDatabase::Open(path_);
    ASSERT_TRUE(db.has_value()) << db.error().message();
    ASSERT_TRUE(db->ExecuteScript("DROP TRIGGER refuse_serving").has_value());
  }
  ASSERT_TRUE(
      store_->FinishDeployment(id, DeploymentState::kSucceeded, "fast", "", serving).has_value());
  EXPECT_EQ(Get(id).state, DeploymentState::kSucceeded);
  EXPECT_EQ(Service("api").serving, serving);
}

TEST_F(SqliteRuntimeDeploymentsTest, ListsNewestFirstByServiceUpToLimit) {
  AddService("web");
  AddRelease("web", "cccccccccccccccccccc");
  DeploymentId a1 = Create(MakeDeployment("api", "aaaaaaaaaaaaaaaaaaaa", {"x"}));
  DeploymentId w1 = Create(MakeDeployment("web", "cccccccccccccccccccc", {}));
  DeploymentId a2 = Create(MakeDeployment("api", "bbbbbbbbbbbbbbbbbbbb", {"p", "q", "r"}));
  DeploymentId a3 = Create(MakeDeployment("api", "aaaaaaaaaaaaaaaaaaaa", {}));
  DeploymentId w2 = Create(MakeDeployment("web", "cccccccccccccccccccc", {"s"}));

  Result<std::vector<DeploymentRecord>> all = store_->ListDeployments("", 100);
  ASSERT_TRUE(all.has_value()) << all.error().message();
  EXPECT_EQ(Ids(*all), (std::vector<DeploymentId>{w2, a3, a2, w1, a1}));
  // Each deployment carries its own candidates, in chain order.
  EXPECT_EQ((*all)[0].candidates, (std::vector<CandidateOutcome>{{"s", ""}}));
  EXPECT_TRUE((*all)[1].candidates.empty());
  EXPECT_EQ((*all)[2].candidates, (std::vector<CandidateOutcome>{{"p", ""}, {"q", ""}, {"r", ""}}));
  EXPECT_TRUE((*all)[3].candidates.empty());
  EXPECT_EQ((*all)[4].candidates, (std::vector<CandidateOutcome>{{"x", ""}}));

  EXPECT_EQ(Ids(*store_->ListDeployments("", 2)), (std::vector<DeploymentId>{w2, a3}));
  EXPECT_EQ(Ids(*store_->ListDeployments("api", 100)), (std::vector<DeploymentId>{a3, a2, a1}));
  Result<std::vector<DeploymentRecord>> latest = store_->ListDeployments("api", 2);
  ASSERT_TRUE(latest.has_value()) << latest.error().message();
  EXPECT_EQ(Ids(*latest), (std::vector<DeploymentId>{a3, a2}));
  EXPECT_EQ((*latest)[1].candidates.size(), 3u);
  EXPECT_TRUE(store_->ListDeployments("api", 0)->empty());
  EXPECT_TRUE(store_->ListDeployments("nothing", 10)->empty());
  EXPECT_EQ(store_->ListDeployments("", SIZE_MAX)->size(), 5u);
}

TEST_F(SqliteRuntimeDeploymentsTest, InterruptsOnlyUnfinishedDeployments) {
  DeploymentId done = Started(MakeDeployment("api", "aaaaaaaaaaaaaaaaaaaa"));
  ASSERT_TRUE(store_->FinishDeployment(done, DeploymentState::kSucceeded, "fast", "", std::nullopt)
                  .has_value());
  DeploymentId running = Started(MakeDeployment("api", "bbbbbbbbbbbbbbbbbbbb"));
  DeploymentId queued = Create(MakeDeployment("api", "aaaaaaaaaaaaaaaaaaaa"));

  Result<std::vector<DeploymentId>> interrupted =
      store_->InterruptUnfinishedDeployments("the server restarted");
  ASSERT_TRUE(interrupted.has_value()) << interrupted.error().message();
  EXPECT_EQ(*interrupted, (std::vector<DeploymentId>{running, queued}));
  for (DeploymentId id : {running, queued}) {
    DeploymentRecord deployment = Get(id);
    EXPECT_EQ(deployment.state, DeploymentState::kInterrupted);
    EXPECT_EQ(deployment.reason, "the server restarted");
    EXPECT_TRUE(deployment.finished_at.has_value());
  }
  EXPECT_EQ(Get(done).state, DeploymentState::kSucceeded);
  EXPECT_EQ(Get(done).reason, "");

  EXPECT_TRUE(store_->InterruptUnfinishedDeployments("again")->empty());
  EXPECT_EQ(Get(queued).reason, "the server restarted");
  ExpectFailure(store_->StartDeployment(queued, ""), ErrorCode::kInvalidArgument,
                "state store: cannot start deployment 3: it is interrupted, not queued");
}

TEST_F(SqliteRuntimeDeploymentsTest, UnknownDeploymentIsNotFound) {
  ExpectFailure(store_->GetDeployment(5), ErrorCode::kNotFound,
                "state store: cannot read deployment 5: no such deployment");
}

}  // namespace
}  // namespace lockstep::store
