#include <gtest/gtest.h>

#include <map>
#include <string>

#include "store/coord_store.h"
#include "temp_dir.h"

namespace lockstep::store {
namespace {

class SqliteCoordStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Result<std::unique_ptr<CoordStore>> opened = OpenSqliteCoordStore(dir_.path() / "state.db");
    ASSERT_TRUE(opened.has_value()) << opened.error().message();
    store_ = std::move(*opened);
  }

  RolloutId Create(const std::string& environment) {
    Result<RolloutId> id = store_->CreateRollout(
        {.environment = environment, .actor = "ada", .strategy = "api changed", .plan_json = "{}"});
    EXPECT_TRUE(id.has_value()) << id.error().message();
    return id.value_or(0);
  }

  RolloutRecord Get(RolloutId id) {
    Result<RolloutRecord> record = store_->GetRollout(id);
    EXPECT_TRUE(record.has_value()) << record.error().message();
    return record.value_or(RolloutRecord{});
  }

  testing::TempDir dir_;
  std::unique_ptr<CoordStore> store_;
  Owner owner_{.pid = 42, .start_time = 7};
};

TEST_F(SqliteCoordStoreTest, RolloutsOfAnEnvironmentTakeTurnsInTheOrderAsked) {
  RolloutId first = Create("local");
  RolloutId second = Create("local");
  RolloutId other = Create("staging");
  EXPECT_TRUE(*store_->IsNextInEnvironment(first));
  EXPECT_FALSE(*store_->IsNextInEnvironment(second));
  EXPECT_TRUE(*store_->IsNextInEnvironment(other));
  ASSERT_TRUE(store_->SetRolloutState(first, RolloutState::kRunning, owner_).has_value());
  ASSERT_TRUE(store_->FinishRollout(first, RolloutState::kSucceeded, "", std::nullopt).has_value());
  EXPECT_TRUE(*store_->IsNextInEnvironment(second));
  Result<std::vector<RolloutRecord>> unfinished = store_->UnfinishedRollouts();
  ASSERT_TRUE(unfinished.has_value());
  ASSERT_EQ(unfinished->size(), 2u);
  EXPECT_EQ((*unfinished)[0].id, second);
  Result<std::vector<RolloutRecord>> local = store_->ListRollouts("local", 10);
  ASSERT_EQ(local->size(), 2u);
  EXPECT_EQ((*local)[0].id, second);  // newest first
}

TEST_F(SqliteCoordStoreTest, ASucceededRolloutAdvancesTheLastGoodCommitsOfItsEnvironment) {
  RolloutId id = Create("local");
  ASSERT_TRUE(store_->SetRolloutState(id, RolloutState::kRunning, owner_).has_value());
  RolloutRecord running = Get(id);
  EXPECT_EQ(running.owner.pid, 42);
  ASSERT_TRUE(running.started_at.has_value());
  std::map<std::string, std::string> commits = {{"api", "aaa"}, {"web", "bbb"}};
  ASSERT_TRUE(store_->FinishRollout(id, RolloutState::kSucceeded, "", commits).has_value());
  EXPECT_EQ(*store_->LastGoodCommits("local"), commits);
  EXPECT_TRUE(store_->LastGoodCommits("staging")->empty());

  RolloutId next = Create("local");
  ASSERT_TRUE(store_->SetRolloutState(next, RolloutState::kRunning, owner_).has_value());
  ASSERT_TRUE(store_
                  ->FinishRollout(next, RolloutState::kSucceeded, "",
                                  std::map<std::string, std::string>{{"api", "ccc"}})
                  .has_value());
  EXPECT_EQ(*store_->LastGoodCommits("local"),
            (std::map<std::string, std::string>{{"api", "ccc"}, {"web", "bbb"}}));
  RolloutRecord finished = Get(next);
  EXPECT_EQ(finished.state, RolloutState::kSucceeded);
  EXPECT_EQ(finished.owner.pid, 0);
  EXPECT_TRUE(finished.finished_at.has_value());
}

TEST_F(SqliteCoordStoreTest, AFinalRolloutCannotChangeAndAFailedOneKeepsTheCommits) {
  RolloutId id = Create("local");
  ASSERT_TRUE(
      store_->FinishRollout(id, RolloutState::kFailed, "it broke", std::nullopt).has_value());
  Result<void> again = store_->SetRolloutState(id, RolloutState::kRunning, owner_);
  ASSERT_FALSE(again.has_value());
  EXPECT_NE(again.error().message().find("rollout 1 is failed"), std::string::npos);
  EXPECT_FALSE(store_->FinishRollout(id, RolloutState::kSucceeded, "", std::nullopt).has_value());
  EXPECT_EQ(Get(id).reason, "it broke");
  EXPECT_FALSE(store_->GetRollout(99).has_value());
}

TEST_F(SqliteCoordStoreTest, TheFirstBaselineStays) {
  RolloutId id = Create("local");
  ASSERT_TRUE(store_->SetBaseline(id, {{"api", "r1"}, {"web", ""}}).has_value());
  ASSERT_TRUE(store_->SetBaseline(id, {{"api", "r2"}}).has_value());
  EXPECT_EQ(Get(id).baseline, (std::map<std::string, std::string>{{"api", "r1"}, {"web", ""}}));
}

TEST_F(SqliteCoordStoreTest, DecisionsOnlyForARolloutThatWaits) {
  RolloutId id = Create("local");
  Result<void> early = store_->Decide(id, true, "ada", "");
  ASSERT_FALSE(early.has_value());
  EXPECT_NE(early.error().message().find("not awaiting approval"), std::string::npos);
  ASSERT_TRUE(store_->SetRolloutState(id, RolloutState::kAwaitingApproval, {}).has_value());
  ASSERT_TRUE(store_->Decide(id, true, "ada", "").has_value());
  EXPECT_EQ(Get(id).state, RolloutState::kQueued);
  EXPECT_EQ(Get(id).decided_by, "ada");

  RolloutId other = Create("local");
  ASSERT_TRUE(store_->SetRolloutState(other, RolloutState::kAwaitingApproval, {}).has_value());
  ASSERT_TRUE(store_->Decide(other, false, "bob", "not today").has_value());
  RolloutRecord rejected = Get(other);
  EXPECT_EQ(rejected.state, RolloutState::kRejected);
  EXPECT_EQ(rejected.reason, "rejected by bob: not today");
  EXPECT_TRUE(rejected.finished_at.has_value());
}

TEST_F(SqliteCoordStoreTest, StepsAreNumberedAndInterruptedOnesEndFailed) {
  RolloutId id = Create("local");
  Result<int64_t> sync = store_->StartStep(id, "sync", "api:src -> infra:api/src", "from abc");
  Result<int64_t> run = store_->StartStep(id, "run", "infra/deploy", "");
  ASSERT_TRUE(sync.has_value() && run.has_value());
  EXPECT_EQ(*sync, 1);
  EXPECT_EQ(*run, 2);
  ASSERT_TRUE(store_->FinishStep(id, 1, StepState::kSucceeded, "incremental", "{\"commit\":\"c\"}")
                  .has_value());
  ASSERT_TRUE(store_->FailRunningSteps(id, "interrupted").has_value());
  Result<std::vector<RolloutStep>> steps = store_->ListSteps(id);
  ASSERT_EQ(steps->size(), 2u);
  EXPECT_EQ((*steps)[0].state, StepState::kSucceeded);
  EXPECT_EQ((*steps)[0].data, "{\"commit\":\"c\"}");
  EXPECT_EQ((*steps)[1].state, StepState::kFailed);
  EXPECT_EQ((*steps)[1].detail, "interrupted");
  EXPECT_TRUE((*steps)[1].finished_at.has_value());
  EXPECT_FALSE(store_->FinishStep(id, 9, StepState::kFailed, "", "").has_value());
}

TEST_F(SqliteCoordStoreTest, StateNamesRoundTrip) {
  for (RolloutState state :
       {RolloutState::kQueued, RolloutState::kAwaitingApproval, RolloutState::kRunning,
        RolloutState::kRollingBack, RolloutState::kSucceeded, RolloutState::kFailed,
        RolloutState::kRejected}) {
    EXPECT_EQ(ParseRolloutState(ToString(state)), state);
  }
  EXPECT_FALSE(ParseRolloutState("done").has_value());
}

}  // namespace
}  // namespace lockstep::store
