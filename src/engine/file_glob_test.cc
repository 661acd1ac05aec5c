#include "engine/file_glob.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "temp_dir.h"

namespace lockstep::engine {
namespace {

namespace fs = std::filesystem;

struct GlobCase {
  const char* pattern;
  const char* path;
  bool matches;
};

TEST(FileGlobTest, MatchesTable) {
  const GlobCase cases[] = {
      // Literals and '*' within one segment.
      {"a.txt", "a.txt", true},
      {"a.txt", "b.txt", false},
      {"*.xml", "report.xml", true},
      {"*.xml", "report.xml.bak", false},
      {"*.xml", "dir/report.xml", false},
      {"*", "anything", true},
      {"*", ".hidden", true},
      {"a*b*c", "abc", true},
      {"a*b*c", "aXXbYYc", true},
      {"a*b*c", "aXXbYY", false},
      {"src/*.cc", "src/main.cc", true},
      {"src/*.cc", "src/sub/main.cc", false},
      // '?'.
      {"?.txt", "a.txt", true},
      {"?.txt", "ab.txt", false},
      {"a?c", "a/c", false},
      // Classes.
      {"[abc].txt", "b.txt", true},
      {"[abc].txt", "d.txt", false},
      {"[a-z]1", "q1", true},
      {"[a-z]1", "Q1", false},
      {"[!a]x", "bx", true},
      {"[!a]x", "ax", false},
      {"[^a]x", "ax", false},
      {"[]a]", "]", true},
      {"[a-]", "-", true},
      {"file[0-9][0-9].log", "file42.log", true},
      {"file[0-9][0-9].log", "file4x.log", false},
      {"[ab", "[ab", true},  // unclosed: a literal '[' (CheckGlob refuses it)
      // "**" as a whole segment: zero or more segments.
      {"**/*.xml", "a.xml", true},
      {"**/*.xml", "x/y/a.xml", true},
      {"**/*.xml", "x/y/a.txt", false},
      {"dist/**", "dist/a", true},
      {"dist/**", "dist/a/b/c.js", true},
      {"dist/**", "distx/a", false},
      {"**", "a/b/c", true},
      {"a/**/b", "a/b", true},
      {"a/**/b", "a/x/y/b", true},
      {"a/**/b", "a/x/y/c", false},
      {"**/test-results/*.xml", "pkg/test-results/junit.xml", true},
      {"**/reports/**/*.xml", "x/reports/a/b/r.xml", true},
      {"a**b", "aXb", true},  // "**" inside a segment is just '*'
      {"a**b", "a/b", false},
      // A pattern naming a directory takes everything under it.
      {"dist", "dist", true},
      {"dist", "dist/index.html", true},
      {"dist", "dist/assets/app.js", true},
      {"dist", "distribution/a", false},
      {"dist/", "dist/a", true},
      {"build/*", "build/out/a.o", true},
      {"src/app", "src/application", false},
      // Leading "./", repeated and empty segments.
      {"./dist/**", "dist/a", true},
      {"./*.xml", "a.xml", true},
      {"*.xml", "./a.xml", true},
      {"a//b", "a/b", true},
      {".", "any/file", true},
      // Neither empty nor absolute patterns match.
      {"", "a", false},
      {"/a", "a", false},
      {"a", "", false},
  };
  for (const GlobCase& c : cases) {
    EXPECT_EQ(GlobMatch(c.pattern, c.path), c.matches)
        << "pattern \"" << c.pattern << "\" path \"" << c.path << "\"";
  }
}

TEST(FileGlobTest, ManyStarsAgainstLongTextFinishes) {
  // Exponential with naive backtracking; quadratic at worst here.
  std::string text(20000, 'a');
  EXPECT_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*b", text));
  EXPECT_TRUE(GlobMatch("*a*a*a*a*a*a*a*a*", text));
  std::string deep;
  for (int i = 0; i < 2000; ++i) deep += "a/";
  deep += "b";
  EXPECT_FALSE(GlobMatch("**/a/**/a/**/a/**/a/**/c", deep));
  EXPECT_TRUE(GlobMatch("**/a/**/a/**/a/**/a/**/b", deep));
}

TEST(FileGlobTest, CheckGlobAcceptsOrdinaryPatterns) {
  for (const char* pattern : {"dist", "dist/**", "**/*.xml", "./a/[a-z]?.txt", "[]a]", ".", "~x"}) {
    EXPECT_TRUE(CheckGlob(pattern).has_value()) << pattern;
  }
}

std::string CheckError(std::string_view pattern) {
  Result<void> checked = CheckGlob(pattern);
  if (checked) return "ok";
  EXPECT_EQ(checked.error().code(), ErrorCode::kInvalidArgument);
  return checked.error().ToString();
}

TEST(FileGlobTest, CheckGlobRefusesWithReasons) {
  EXPECT_EQ(CheckError(""), "file pattern \"\" is empty");
  EXPECT_EQ(CheckError("/etc/passwd"),
            "file pattern \"/etc/passwd\" is absolute; patterns are relative paths");
  EXPECT_EQ(CheckError("../secrets/*"),
            "file pattern \"../secrets/*\" has a \"..\" segment; patterns cannot leave their "
            "directory");
  EXPECT_EQ(CheckError("a/b/../../.."),
            "file pattern \"a/b/../../..\" has a \"..\" segment; patterns cannot leave their "
            "directory");
  EXPECT_EQ(CheckError("logs/[a-z.txt"),
            "file pattern \"logs/[a-z.txt\" has a \"[\" at column 6 that is not closed by \"]\"");
  EXPECT_EQ(CheckError("a[b/c]"),
            "file pattern \"a[b/c]\" has a \"[\" at column 2 that is not closed by \"]\"");
  EXPECT_EQ(CheckError("[!]"),
            "file pattern \"[!]\" has a \"[\" at column 1 that is not closed by \"]\"");
  EXPECT_EQ(CheckError("..a/b..c"), "ok");
}

class FileGlobTreeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("src/main.cc", "int main() {}\n");
    dir_.Write("src/lib/util.cc", "// util\n");
    dir_.Write("reports/unit.xml", "<testsuite/>");
    dir_.Write("reports/deep/int.xml", "<testsuite/>");
    dir_.Write("top.xml", "<x/>");
    dir_.Write(".hidden/h.xml", "<x/>");
    dir_.Write("outside/secret.xml", "<x/>");
    fs::create_symlink("../outside", root() / "src" / "linked");  // a link to a directory
    fs::create_symlink("nowhere.xml", root() / "dangling.xml");
  }

  const fs::path& root() const { return dir_.path(); }

  std::vector<std::string> Find(const std::vector<std::string>& patterns) {
    Result<std::vector<std::string>> found = FindMatchingFiles(root(), patterns);
    EXPECT_TRUE(found.has_value()) << found.error().ToString();
    return found.value_or(std::vector<std::string>{});
  }

  testing::TempDir dir_;
};

TEST_F(FileGlobTreeTest, FindsMatchesSortedWithoutFollowingDirectoryLinks) {
  EXPECT_EQ(Find({"**/*.xml"}),
            (std::vector<std::string>{".hidden/h.xml", "dangling.xml", "outside/secret.xml",
                                      "reports/deep/int.xml", "reports/unit.xml", "top.xml"}));
  // The link to a directory is listed as itself and never entered.
  EXPECT_EQ(Find({"src"}),
            (std::vector<std::string>{"src/lib/util.cc", "src/linked", "src/main.cc"}));
  EXPECT_EQ(Find({"src/**"}), Find({"src"}));
}

TEST_F(FileGlobTreeTest, FindsTheUnionOfSeveralPatterns) {
  EXPECT_EQ(Find({"reports/*.xml", "src/*.cc", "top.xml"}),
            (std::vector<std::string>{"reports/unit.xml", "src/main.cc", "top.xml"}));
  EXPECT_EQ(Find({"nothing/**"}), std::vector<std::string>{});
}

TEST_F(FileGlobTreeTest, FailsOnAnInvalidPatternOrMissingRoot) {
  Result<std::vector<std::string>> found = FindMatchingFiles(root(), {"ok", "../x"});
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error().message(),
            "file pattern \"../x\" has a \"..\" segment; patterns cannot leave their directory");

  found = FindMatchingFiles(root() / "missing", {"**"});
  ASSERT_FALSE(found.has_value());
  EXPECT_EQ(found.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(found.error().message(), (root() / "missing").string() + ": No such file or directory");
}

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

TEST_F(FileGlobTreeTest, CopyFilesKeepsModesAndLinks) {
  fs::permissions(root() / "src/main.cc", fs::perms(0751), fs::perm_options::replace);
  testing::TempDir out;
  Result<int64_t> bytes = CopyFiles(
      root(), {"src/main.cc", "src/lib/util.cc", "src/linked", "dangling.xml"}, out.path());
  ASSERT_TRUE(bytes.has_value()) << bytes.error().ToString();
  EXPECT_EQ(*bytes, 14 + 8);
  EXPECT_EQ(ReadAll(out.path() / "src/main.cc"), "int main() {}\n");
  EXPECT_EQ(ReadAll(out.path() / "src/lib/util.cc"), "// util\n");
  EXPECT_EQ(fs::status(out.path() / "src/main.cc").permissions(), fs::perms(0751));
  ASSERT_TRUE(fs::is_symlink(out.path() / "src/linked"));
  EXPECT_EQ(fs::read_symlink(out.path() / "src/linked"), "../outside");
  ASSERT_TRUE(fs::is_symlink(out.path() / "dangling.xml"));
  EXPECT_EQ(fs::read_symlink(out.path() / "dangling.xml"), "nowhere.xml");
}

TEST_F(FileGlobTreeTest, CopyFilesReplacesAnExistingLinkInsteadOfWritingThroughIt) {
  testing::TempDir out;
  out.Write("victim", "keep me");
  fs::create_directories(out.path() / "src");
  fs::create_symlink(out.path() / "victim", out.path() / "src/main.cc");
  ASSERT_TRUE(CopyFiles(root(), {"src/main.cc"}, out.path()).has_value());
  EXPECT_FALSE(fs::is_symlink(out.path() / "src/main.cc"));
  EXPECT_EQ(ReadAll(out.path() / "src/main.cc"), "int main() {}\n");
  EXPECT_EQ(ReadAll(out.path() / "victim"), "keep me");
}

TEST_F(FileGlobTreeTest, CopyFilesRefusesEscapingPathsAndNamesMissingOnes) {
  testing::TempDir out;
  Result<int64_t> bytes = CopyFiles(root(), {"../etc/passwd"}, out.path());
  ASSERT_FALSE(bytes.has_value());
  EXPECT_EQ(bytes.error().message(),
            "cannot copy \"../etc/passwd\": not a relative path inside " + root().string());
  bytes = CopyFiles(root(), {"absent.txt"}, out.path());
  ASSERT_FALSE(bytes.has_value());
  EXPECT_EQ(bytes.error().message(),
            (root() / "absent.txt").string() + ": No such file or directory");
}

TEST_F(FileGlobTreeTest, CopyTreeCopiesEverythingWithModes) {
  fs::create_directories(root() / "empty");
  fs::permissions(root() / "reports", fs::perms(0700), fs::perm_options::replace);
  fs::permissions(root() / "top.xml", fs::perms(0600), fs::perm_options::replace);
  testing::TempDir out;
  Result<int64_t> bytes = CopyTree(root(), out.path() / "copy");
  ASSERT_TRUE(bytes.has_value()) << bytes.error().ToString();
  EXPECT_EQ(*bytes, 14 + 8 + 12 + 12 + 4 + 4 + 4);

  Result<std::vector<std::string>> copied = FindMatchingFiles(out.path() / "copy", {"**"});
  ASSERT_TRUE(copied.has_value());
  EXPECT_EQ(*copied, Find({"**"}));
  EXPECT_TRUE(fs::is_directory(out.path() / "copy/empty"));
  EXPECT_EQ(fs::status(out.path() / "copy/reports").permissions(), fs::perms(0700));
  EXPECT_EQ(fs::status(out.path() / "copy/top.xml").permissions(), fs::perms(0600));
  EXPECT_EQ(fs::read_symlink(out.path() / "copy/src/linked"), "../outside");
  EXPECT_EQ(ReadAll(out.path() / "copy/reports/deep/int.xml"), "<testsuite/>");
}

TEST_F(FileGlobTreeTest, CopyTreeRefusesAFileOrACopyIntoItself) {
  testing::TempDir out;
  Result<int64_t> bytes = CopyTree(root() / "top.xml", out.path() / "copy");
  ASSERT_FALSE(bytes.has_value());
  EXPECT_EQ(bytes.error().message(), (root() / "top.xml").string() + ": not a directory");

  bytes = CopyTree(root() / "src", root() / "src/lib/copy");
  ASSERT_FALSE(bytes.has_value());
  EXPECT_EQ(bytes.error().message(), "cannot copy " + (root() / "src").string() + " into itself (" +
                                         (root() / "src/lib/copy").string() + ")");
  EXPECT_FALSE(fs::exists(root() / "src/lib/copy"));
}

}  // namespace
}  // namespace lockstep::engine
