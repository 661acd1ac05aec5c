#include "runtime/release_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>

#include "fixture_util.h"
#include "sync/verify.h"
#include "temp_dir.h"

namespace lockstep::runtime {
namespace {

namespace fs = std::filesystem;

class ReleaseStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    source_.Write("bin/api", "#!/bin/sh\necho api\n");
    fs::permissions(source_.path() / "bin/api", fs::perms(0755));
    source_.Write("public/index.html", "<h1>people</h1>\n");
    fs::create_symlink("public/index.html", source_.path() / "home.html");
    source_.Write(std::string(kReleaseSpecFile),
                  "handlers:\n  - { name: integrated, command: [./bin/api] }\n");
  }
  fs::path releases() const { return state_.path() / "releases"; }

  testing::TempDir source_;
  testing::TempDir state_;
};

TEST_F(ReleaseStoreTest, ImportsAnImmutableCopyWithItsChainAndManifest) {
  Result<Release> release = ImportRelease(source_.path(), releases(), "api");
  ASSERT_TRUE(release.has_value()) << release.error().ToString();
  EXPECT_EQ(release->id.size(), 20u);
  EXPECT_EQ(release->path, releases() / "api" / release->id);
  EXPECT_FALSE(release->existed);
  EXPECT_EQ(release->files, 4);
  ASSERT_TRUE(release->spec.has_value());
  EXPECT_EQ(release->spec->handlers.front().name, "integrated");
  EXPECT_EQ(testing::ReadText(release->path / "public/index.html"), "<h1>people</h1>\n");
  EXPECT_EQ(fs::read_symlink(release->path / "home.html"), "public/index.html");
  struct stat info {};
  ASSERT_EQ(::stat((release->path / "bin/api").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0555u);
  ASSERT_EQ(::stat((release->path / "public/index.html").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0444u);
  Result<std::vector<sync::Difference>> differences = sync::VerifyTree(release->path, 1);
  ASSERT_TRUE(differences.has_value()) << differences.error().ToString();
  EXPECT_TRUE(differences->empty());

  Result<Release> found = FindRelease(releases(), "api", release->id);
  ASSERT_TRUE(found.has_value()) << found.error().ToString();
  EXPECT_EQ(found->path, release->path);
  EXPECT_EQ(found->spec, release->spec);
}

TEST_F(ReleaseStoreTest, TheSameContentIsTheSameReleaseAndAnyChangeIsANewOne) {
  Result<Release> first = ImportRelease(source_.path(), releases(), "api");
  ASSERT_TRUE(first.has_value());
  Result<Release> again = ImportRelease(source_.path(), releases(), "api");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->id, first->id);
  EXPECT_TRUE(again->existed);

  fs::permissions(source_.path() / "bin/api", fs::perms(0644));  // only the mode changes
  Result<Release> mode = ImportRelease(source_.path(), releases(), "api");
  ASSERT_TRUE(mode.has_value());
  EXPECT_NE(mode->id, first->id);
  source_.Write("public/index.html", "<h1>people!</h1>\n");
  Result<Release> content = ImportRelease(source_.path(), releases(), "api");
  ASSERT_TRUE(content.has_value());
  EXPECT_NE(content->id, mode->id);
  auto entries = fs::directory_iterator(releases() / "api");
  EXPECT_EQ(std::distance(fs::begin(entries), fs::end(entries)), 3)
      << "three releases, no staging folder left";
}

TEST_F(ReleaseStoreTest, BadInputIsRefusedAndLeavesNothing) {
  auto refused = [&](std::string_view service) {
    Result<Release> release = ImportRelease(source_.path(), releases(), service);
    EXPECT_FALSE(release.has_value());
    EXPECT_FALSE(fs::exists(releases() / "api")) << "a refused import left a folder";
    return release ? std::string("imported") : release.error().ToString();
  };
  EXPECT_EQ(refused("../api"),
            "service name '../api' must be 1-63 letters, digits, '-', '_' or '.'");

  source_.Write(std::string(kReleaseSpecFile), "handlers: []\n");
  EXPECT_EQ(refused("api"), (source_.path() / kReleaseSpecFile).string() +
                                ":1:11: 'handlers' must be a non-empty list of {name, command}");

  source_.Write(std::string(kReleaseSpecFile),
                "handlers:\n  - { name: integrated, command: [./bin/api] }\n");
  fs::create_symlink("../../etc/passwd", source_.path() / "public/escape");
  EXPECT_EQ(refused("api").substr(0, 33), "symbolic link 'public/escape' -> ");
}

TEST_F(ReleaseStoreTest, AnUnknownReleaseIsNotFound) {
  EXPECT_EQ(FindRelease(releases(), "api", std::string(20, 'a')).error().code(),
            ErrorCode::kNotFound);
  EXPECT_EQ(FindRelease(releases(), "api", "../../etc").error().code(), ErrorCode::kNotFound);
}

}  // namespace
}  // namespace lockstep::runtime
