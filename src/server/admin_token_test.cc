#include "server/admin_token.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "fixture_util.h"
#include "temp_dir.h"

namespace lockstep::server {
namespace {

namespace fs = std::filesystem;

TEST(AdminTokenTest, MadeOnceReadableOnlyByItsOwnerAndReadBackTheSame) {
  testing::TempDir state;
  EXPECT_EQ(ReadAdminToken(state.path()).error().code(), ErrorCode::kNotFound);
  Result<std::string> token = LoadOrCreateAdminToken(state.path());
  ASSERT_TRUE(token.has_value()) << token.error().ToString();
  EXPECT_EQ(token->size(), 64u);
  struct stat info {};
  ASSERT_EQ(::stat((state.path() / kAdminTokenFile).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  EXPECT_EQ(LoadOrCreateAdminToken(state.path()).value_or(""), *token);
  EXPECT_EQ(ReadAdminToken(state.path()).value_or(""), *token);
  testing::TempDir other;
  EXPECT_NE(LoadOrCreateAdminToken(other.path()).value_or(*token), *token);
}

TEST(AdminTokenTest, AFileOthersCanReadOrThatIsDamagedIsRefusedWithoutShowingIt) {
  testing::TempDir state;
  Result<std::string> token = LoadOrCreateAdminToken(state.path());
  ASSERT_TRUE(token.has_value());
  fs::path file = state.path() / kAdminTokenFile;
  fs::permissions(file, fs::perms(0644));
  Result<std::string> loose = LoadOrCreateAdminToken(state.path());
  ASSERT_FALSE(loose.has_value());
  EXPECT_EQ(loose.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(loose.error().message(),
            file.string() +
                ": the admin token file must be a file of yours that only you can "
                "read (chmod 600)");
  fs::permissions(file, fs::perms(0600));
  state.Write(std::string(kAdminTokenFile), "short\n");
  fs::permissions(file, fs::perms(0600));
  Result<std::string> damaged = ReadAdminToken(state.path());
  ASSERT_FALSE(damaged.has_value());
  EXPECT_EQ(damaged.error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(damaged.error().message().find("short"), std::string::npos);
}

TEST(AdminTokenTest, TokensMatchOnlyExactly) {
  std::string token(64, 'a');
  EXPECT_TRUE(TokenMatches(token, token));
  EXPECT_FALSE(TokenMatches(token + "a", token));
  EXPECT_FALSE(TokenMatches(std::string(63, 'a'), token));
  EXPECT_FALSE(TokenMatches(std::string(63, 'a') + "b", token));
  EXPECT_FALSE(TokenMatches("", token));
  EXPECT_FALSE(TokenMatches("", ""));
}

}  // namespace
}  // namespace lockstep::server
