#include "sync/sync_paths.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace lockstep::sync {
namespace {

// "ok: value" or "code: message", so one comparison checks the whole outcome.
std::string Outcome(const Result<std::string>& result) {
  if (result) return "ok: " + *result;
  return std::string(ErrorCodeName(result.error().code())) + ": " + result.error().message();
}

std::string Outcome(const Result<void>& result) {
  if (result) return "ok";
  return std::string(ErrorCodeName(result.error().code())) + ": " + result.error().message();
}

TEST(NormalizeSubpathTest, KeepsPlainPathsAndDropsExtraSlashes) {
  EXPECT_EQ(Outcome(NormalizeSubpath("")), "ok: ");
  EXPECT_EQ(Outcome(NormalizeSubpath("src")), "ok: src");
  EXPECT_EQ(Outcome(NormalizeSubpath("src/lib/")), "ok: src/lib");
  EXPECT_EQ(Outcome(NormalizeSubpath("src//lib///x")), "ok: src/lib/x");
  EXPECT_EQ(Outcome(NormalizeSubpath("with space/\xC3\xBC")), "ok: with space/\xC3\xBC");
  // Names that merely start with dots are names.
  EXPECT_EQ(Outcome(NormalizeSubpath("...x/.hidden/..y")), "ok: ...x/.hidden/..y");
}

TEST(NormalizeSubpathTest, RefusesAbsolutePaths) {
  EXPECT_EQ(Outcome(NormalizeSubpath("/etc")),
            "invalid argument: source path '/etc' is absolute; give a path inside the "
            "repository");
  EXPECT_EQ(Outcome(NormalizeSubpath("/")),
            "invalid argument: source path '/' is absolute; give a path inside the repository");
}

TEST(NormalizeSubpathTest, RefusesDotAndDotDotComponents) {
  EXPECT_EQ(Outcome(NormalizeSubpath("src/../../etc")),
            "invalid argument: source path 'src/../../etc' contains '..'; give a plain path "
            "inside the repository");
  EXPECT_EQ(Outcome(NormalizeSubpath("..")),
            "invalid argument: source path '..' contains '..'; give a plain path inside the "
            "repository");
  EXPECT_EQ(Outcome(NormalizeSubpath("src/..")),
            "invalid argument: source path 'src/..' contains '..'; give a plain path inside the "
            "repository");
  EXPECT_EQ(Outcome(NormalizeSubpath("./src")),
            "invalid argument: source path './src' contains '.'; give a plain path inside the "
            "repository");
}

TEST(CheckLinkTargetTest, AcceptsTargetsInsideTheSubtree) {
  EXPECT_EQ(Outcome(CheckLinkTarget("link", "file.txt")), "ok");
  EXPECT_EQ(Outcome(CheckLinkTarget("link", "sub/dir/file.txt")), "ok");
  EXPECT_EQ(Outcome(CheckLinkTarget("link", ".")), "ok");  // the subtree's root itself
  EXPECT_EQ(Outcome(CheckLinkTarget("a/b/link", "../../top.txt")), "ok");
  EXPECT_EQ(Outcome(CheckLinkTarget("a/b/link", "../c/./d")), "ok");
  EXPECT_EQ(Outcome(CheckLinkTarget("a/link", "..")), "ok");
  EXPECT_EQ(Outcome(CheckLinkTarget("a/link", "../")), "ok");
  EXPECT_EQ(Outcome(CheckLinkTarget("a/link", "..//a")), "ok");
}

TEST(CheckLinkTargetTest, RefusesTargetsOutsideTheSubtree) {
  EXPECT_EQ(Outcome(CheckLinkTarget("link", "../sibling")),
            "invalid argument: symbolic link 'link' -> '../sibling' points outside the subtree; "
            "a sync copies only what is inside the synced subtree");
  EXPECT_EQ(Outcome(CheckLinkTarget("a/b/link", "../../../x")),
            "invalid argument: symbolic link 'a/b/link' -> '../../../x' points outside the "
            "subtree; a sync copies only what is inside the synced subtree");
  EXPECT_EQ(Outcome(CheckLinkTarget("link", "..")),
            "invalid argument: symbolic link 'link' -> '..' points outside the subtree; a sync "
            "copies only what is inside the synced subtree");
}

TEST(CheckLinkTargetTest, RefusesDotDotAfterANameWhichALinkCouldTurnIntoAWayOut) {
  // With deep/s -> "..", deep/l -> "s/.." resolves to the subtree's parent, although it looks
  // like "deep" when read lexically.
  EXPECT_EQ(Outcome(CheckLinkTarget("deep/l", "s/..")),
            "invalid argument: symbolic link 'deep/l' -> 's/..' has '..' after a name, which "
            "another link could lead outside; a sync copies only what is inside the synced "
            "subtree");
  EXPECT_EQ(Outcome(CheckLinkTarget("a/b/l", "../c/../d")),
            "invalid argument: symbolic link 'a/b/l' -> '../c/../d' has '..' after a name, "
            "which another link could lead outside; a sync copies only what is inside the "
            "synced subtree");
  EXPECT_EQ(Outcome(CheckLinkTarget("l", "./x/./..")),
            "invalid argument: symbolic link 'l' -> './x/./..' has '..' after a name, which "
            "another link could lead outside; a sync copies only what is inside the synced "
            "subtree");
}

TEST(CheckLinkTargetTest, RefusesAbsoluteAndEmptyTargets) {
  EXPECT_EQ(Outcome(CheckLinkTarget("etc", "/etc/passwd")),
            "invalid argument: symbolic link 'etc' -> '/etc/passwd' is absolute; a sync copies "
            "only what is inside the synced subtree");
  EXPECT_EQ(Outcome(CheckLinkTarget("nothing", "")),
            "invalid argument: symbolic link 'nothing' -> '' has an empty target; a sync copies "
            "only what is inside the synced subtree");
}

TEST(IsWithinTest, ComparesWholeComponents) {
  using std::filesystem::path;
  EXPECT_TRUE(IsWithin(path("/a/b"), path("/a/b")));
  EXPECT_TRUE(IsWithin(path("/a/b/c/d"), path("/a/b")));
  EXPECT_TRUE(IsWithin(path("/a/b/c"), path("/a/b/")));
  EXPECT_TRUE(IsWithin(path("/a/b"), path("/")));
  EXPECT_FALSE(IsWithin(path("/a/bc"), path("/a/b")));
  EXPECT_FALSE(IsWithin(path("/a"), path("/a/b")));
  EXPECT_FALSE(IsWithin(path("/x/b"), path("/a/b")));
}

}  // namespace
}  // namespace lockstep::sync
