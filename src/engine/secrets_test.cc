#include "engine/secrets.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "temp_dir.h"

namespace lockstep::engine {
namespace {

class SecretsTest : public ::testing::Test {
 protected:
  std::filesystem::path Write(const std::string& text, mode_t mode = 0600) {
    dir_.Write("secrets.env", text);
    auto path = dir_.path() / "secrets.env";
    ::chmod(path.c_str(), mode);
    return path;
  }
  lockstep::testing::TempDir dir_;
};

TEST_F(SecretsTest, ReadsNameValueLines) {
  auto secrets = LoadSecretsFile(Write("# comment\n\nTOKEN=abc=def\nQUOTED=\"x y\"\nEMPTY=\n"));
  ASSERT_TRUE(secrets) << secrets.error().message();
  EXPECT_EQ(*secrets, (SecretMap{{"TOKEN", "abc=def"}, {"QUOTED", "x y"}, {"EMPTY", ""}}));
}

TEST_F(SecretsTest, RefusesAFileOthersCanRead) {
  auto path = Write("TOKEN=x\n", 0644);
  auto secrets = LoadSecretsFile(path);
  ASSERT_FALSE(secrets);
  EXPECT_EQ(secrets.error().code(), ErrorCode::kPermissionDenied);
  EXPECT_EQ(secrets.error().message(), "secrets file " + path.string() +
                                           " can be read or written by others (mode 644); "
                                           "run: chmod 600 " +
                                           path.string());
}

TEST_F(SecretsTest, BadLineSaysWhereAndNeverShowsTheValue) {
  auto path = Write("GOOD=hunter2\nthis line is wrong\n");
  auto secrets = LoadSecretsFile(path);
  ASSERT_FALSE(secrets);
  EXPECT_EQ(secrets.error().ToString(),
            path.string() + ":2:1: expected NAME=VALUE; this line has no '='");
  auto duplicate = LoadSecretsFile(Write("A=hunter2\nA=hunter3\n"));
  ASSERT_FALSE(duplicate);
  EXPECT_EQ(duplicate.error().message(), "secret 'A' is defined twice");
}

TEST_F(SecretsTest, EnvironmentVariablesWithThePrefix) {
  std::string a = "LOCKSTEP_SECRET_TOKEN=t", b = "PATH=/bin", c = "LOCKSTEP_SECRET_=x";
  char* environment[] = {a.data(), b.data(), c.data(), nullptr};
  EXPECT_EQ(SecretsFromEnvironment(environment), (SecretMap{{"TOKEN", "t"}}));
}

}  // namespace
}  // namespace lockstep::engine
