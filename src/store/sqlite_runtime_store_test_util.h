// A fixture for the runtime store's tests: a fresh store file in a temporary directory, and
// helpers that record services, releases and deployments. Test-only; not thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "store/runtime_store.h"
#include "temp_dir.h"

namespace lockstep::store {

// Checks that `result` failed with `code` and exactly `message`.
template <class T>
void ExpectFailure(const Result<T>& result, ErrorCode code, const std::string& message) {
  ASSERT_FALSE(result.has_value()) << "expected: " << message;
  EXPECT_EQ(result.error().code(), code) << result.error().message();
  EXPECT_EQ(result.error().message(), message);
}

class SqliteRuntimeStoreFixture : public ::testing::Test {
 protected:
  void SetUp() override { store_ = Open(); }

  // Opens another store object on the same file, as a second process would.
  std::unique_ptr<RuntimeStore> Open() {
    Result<std::unique_ptr<RuntimeStore>> store = OpenSqliteRuntimeStore(path_);
    EXPECT_TRUE(store.has_value()) << store.error().message();
    return store ? std::move(*store) : nullptr;
  }

  void AddService(const std::string& name, const std::string& spec_json = "{}") {
    Result<void> put = store_->PutService(name, spec_json);
    ASSERT_TRUE(put.has_value()) << put.error().message();
  }

  static ReleaseRecord MakeRelease(const std::string& service, const std::string& id,
                                   TimeMs created_at = 0) {
    return ReleaseRecord{.service = service,
                         .id = id,
                         .path = "/state/releases/" + service + "/" + id,
                         .spec_json = R"({"handlers":["main"]})",
                         .files = 3,
                         .bytes = 1234,
                         .created_at = created_at};
  }

  void AddRelease(const std::string& service, const std::string& id, TimeMs created_at = 0) {
    Result<void> put = store_->PutRelease(MakeRelease(service, id, created_at));
    ASSERT_TRUE(put.has_value()) << put.error().message();
  }

  static NewDeployment MakeDeployment(const std::string& service, const std::string& release,
                                      std::vector<std::string> candidates = {"fast", "safe"}) {
    return NewDeployment{.service = service,
                         .release = release,
                         .kind = DeploymentKind::kDeploy,
                         .actor = "alice",
                         .reason = "",
                         .candidates = std::move(candidates)};
  }

  DeploymentId Create(const NewDeployment& deployment) {
    Result<DeploymentId> id = store_->CreateDeployment(deployment);
    EXPECT_TRUE(id.has_value()) << id.error().message();
    return id.value_or(0);
  }

  DeploymentRecord Get(DeploymentId id) {
    Result<DeploymentRecord> record = store_->GetDeployment(id);
    EXPECT_TRUE(record.has_value()) << record.error().message();
    return record.value_or(DeploymentRecord{});
  }

  ServiceRecord Service(const std::string& name) {
    Result<ServiceRecord> record = store_->GetService(name);
    EXPECT_TRUE(record.has_value()) << record.error().message();
    return record.value_or(ServiceRecord{});
  }

  testing::TempDir dir_;
  std::filesystem::path path_ = dir_.path() / "state.db";
  std::unique_ptr<RuntimeStore> store_;
};

}  // namespace lockstep::store
