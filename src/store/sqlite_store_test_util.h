// Helpers shared by the store's tests: a fixture with a fresh store file in a temporary
// directory, and a NewRun builder. Test-only; not thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/sqlite_store.h"
#include "store/store.h"
#include "temp_dir.h"

namespace lockstep::store {

inline NewRun MakeRun(std::string workflow, RunMode mode = RunMode::kQueued,
                      std::vector<std::string> actions = {"Build", "Test", "Deploy"},
                      Owner owner = {.pid = 4242, .start_time = 99}) {
  NewRun run;
  run.workflow = std::move(workflow);
  run.workflow_file = ".codecatalyst/workflows/main.yaml";
  run.repository = "/src/app";
  run.commit = "0123456789abcdef0123456789abcdef01234567";
  run.branch = "main";
  run.mode = mode;
  run.owner = owner;
  run.actions = std::move(actions);
  return run;
}

class SqliteStoreFixture : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Open(); }

  // Opens another store object on the same file, as a second process would.
  std::unique_ptr<Store> Open() {
    Result<std::unique_ptr<Store>> store = OpenSqliteStore(path_);
    EXPECT_TRUE(store.has_value()) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }

  RunId Create(const NewRun& run) {
    Result<RunId> id = store_->CreateRun(run);
    EXPECT_TRUE(id.has_value()) << id.error().message();
    return id.value_or(0);
  }

  RunState StateOf(RunId run) {
    Result<RunRecord> record = store_->GetRun(run);
    EXPECT_TRUE(record.has_value()) << record.error().message();
    return record ? record->state : RunState::kQueued;
  }

  testing::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "state.db";
  std::unique_ptr<Store> store_;
};

}  // namespace lockstep::store
