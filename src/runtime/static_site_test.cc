#include "runtime/static_site.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "temp_dir.h"

namespace lockstep::runtime {
namespace {

namespace fs = std::filesystem;

class StaticSiteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.Write("secret.txt", "secret");
    dir_.Write("outside/x.txt", "outside");
    dir_.Write("site/index.html", "home");
    dir_.Write("site/style.css", "body{}");
    dir_.Write("site/docs/index.html", "docs");
    dir_.Write("site/my dir/index.html", "spaced dir");
    dir_.Write("site/my file.txt", "spaces");
    dir_.Write("site/caf\xC3\xA9.txt", "utf8");
    dir_.Write("site/%2e", "literal");
    dir_.Write("site/a/b.txt", "b");
    fs::create_directories(site() / "empty");
    fs::create_symlink("index.html", site() / "alias.html");
    fs::create_symlink("../index.html", site() / "a/up.html");
    fs::create_symlink("../secret.txt", site() / "out.txt");
    fs::create_symlink(dir_.path() / "secret.txt", site() / "abs.txt");
    fs::create_symlink("../outside", site() / "outdir");
    ASSERT_EQ(::mkfifo((site() / "pipe").c_str(), 0600), 0);
    root_fd_ = exec::UniqueFd(::open(site().c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(root_fd_.valid());
  }

  fs::path site() const { return dir_.path() / "site"; }

  // One line per reply, compared exactly: "200 <type> | <cache> | <body>", "301 <location>",
  // or "<status> <reason>" for a refusal.
  std::string Serve(std::string_view target, StaticOptions options = {}) {
    Result<StaticReply> reply = OpenStaticFile(root_fd_.get(), target, options);
    if (!reply) return "error: " + reply.error().ToString();
    if (auto* refusal = std::get_if<StaticRefusal>(&*reply)) {
      return std::to_string(refusal->status) + " " + std::string(refusal->reason);
    }
    if (auto* redirect = std::get_if<StaticRedirect>(&*reply)) {
      return "301 " + redirect->location;
    }
    StaticFile& file = std::get<StaticFile>(*reply);
    std::string body(file.size, '\0');
    EXPECT_EQ(::pread(file.fd.get(), body.data(), body.size(), 0),
              static_cast<ssize_t>(body.size()));
    return "200 " + std::string(file.content_type) + " | " + std::string(file.cache_control) +
           " | " + body;
  }

  lockstep::testing::TempDir dir_;
  exec::UniqueFd root_fd_;
};

TEST_F(StaticSiteTest, RootServesIndexHtmlUncached) {
  EXPECT_EQ(Serve("/"), "200 text/html; charset=utf-8 | no-cache | home");
  EXPECT_EQ(Serve("/?x=1"), "200 text/html; charset=utf-8 | no-cache | home");
  EXPECT_EQ(Serve("/index.html"), "200 text/html; charset=utf-8 | no-cache | home");
}

TEST_F(StaticSiteTest, AssetsGetTheirTypeAndAShortCache) {
  EXPECT_EQ(Serve("/style.css"), "200 text/css; charset=utf-8 | public, max-age=300 | body{}");
  EXPECT_EQ(Serve("/style.css?v=2#frag"),
            "200 text/css; charset=utf-8 | public, max-age=300 | body{}");
  EXPECT_EQ(Serve("/a/b.txt"), "200 text/plain; charset=utf-8 | public, max-age=300 | b");
}

TEST_F(StaticSiteTest, DirectoryWithoutSlashRedirectsKeepingTheQuery) {
  EXPECT_EQ(Serve("/docs"), "301 /docs/");
  EXPECT_EQ(Serve("/docs?page=2"), "301 /docs/?page=2");
  EXPECT_EQ(Serve("/docs/"), "200 text/html; charset=utf-8 | no-cache | docs");
  EXPECT_EQ(Serve("/docs/?page=2"), "200 text/html; charset=utf-8 | no-cache | docs");
}

TEST_F(StaticSiteTest, RedirectLocationIsRebuiltFromDecodedSegments) {
  EXPECT_EQ(Serve("/my%20dir"), "301 /my%20dir/");
  EXPECT_EQ(Serve("/my%20dir/"), "200 text/html; charset=utf-8 | no-cache | spaced dir");
  // "//docs" must not become "//docs/", which a browser reads as another host.
  EXPECT_EQ(Serve("//docs"), "301 /docs/");
  EXPECT_EQ(Serve("/a//docs/..%2F"), "403 dot segment in path");
}

TEST_F(StaticSiteTest, MissingThingsAreNotFound) {
  EXPECT_EQ(Serve("/nope.html"), "404 no such file");
  EXPECT_EQ(Serve("/nope/deeper"), "404 no such file");
  EXPECT_EQ(Serve("/empty/"), "404 no such file");
  EXPECT_EQ(Serve("/index.html/"), "404 not a directory");
  EXPECT_EQ(Serve("/index.html/x"), "404 no such file");
  EXPECT_EQ(Serve("/pipe"), "404 not a regular file");
  EXPECT_EQ(Serve("/" + std::string(300, 'a')), "404 no such file");
}

TEST_F(StaticSiteTest, PercentEncodedNamesAreDecodedOnce) {
  EXPECT_EQ(Serve("/my%20file.txt"),
            "200 text/plain; charset=utf-8 | public, max-age=300 | spaces");
  EXPECT_EQ(Serve("/caf%C3%A9.txt"), "200 text/plain; charset=utf-8 | public, max-age=300 | utf8");
  EXPECT_EQ(Serve("/caf%c3%a9.txt"), "200 text/plain; charset=utf-8 | public, max-age=300 | utf8");
  EXPECT_EQ(Serve("/%61/b.txt"), "200 text/plain; charset=utf-8 | public, max-age=300 | b");
  // A decoded '/' separates segments.
  EXPECT_EQ(Serve("/a%2Fb.txt"), "200 text/plain; charset=utf-8 | public, max-age=300 | b");
  // "%252e" is the literal name "%2e", never a second round of decoding.
  EXPECT_EQ(Serve("/%252e"), "200 application/octet-stream | public, max-age=300 | literal");
  EXPECT_EQ(Serve("/%252e%252e/secret.txt"), "404 no such file");
}

TEST_F(StaticSiteTest, TraversalAttemptsAreForbidden) {
  EXPECT_EQ(Serve("/../secret.txt"), "403 dot segment in path");
  EXPECT_EQ(Serve("/%2e%2e/secret.txt"), "403 dot segment in path");
  EXPECT_EQ(Serve("/a/%2E%2E/%2e%2e/secret.txt"), "403 dot segment in path");
  EXPECT_EQ(Serve("/a/..%2fsecret.txt"), "403 dot segment in path");
  EXPECT_EQ(Serve("/a/..%2F..%2Fsecret.txt"), "403 dot segment in path");
  EXPECT_EQ(Serve("/a/./b.txt"), "403 dot segment in path");
  EXPECT_EQ(Serve("/a/.."), "403 dot segment in path");
  EXPECT_EQ(Serve("/a\\..\\secret.txt"), "403 backslash in path");
  EXPECT_EQ(Serve("/a%5c..%5csecret.txt"), "403 backslash in path");
}

TEST_F(StaticSiteTest, MalformedPathsAreBadRequests) {
  EXPECT_EQ(Serve("/%zz"), "400 malformed percent-escape");
  EXPECT_EQ(Serve("/%4"), "400 malformed percent-escape");
  EXPECT_EQ(Serve("/%"), "400 malformed percent-escape");
  EXPECT_EQ(Serve("/a%00.txt"), "400 NUL in path");
  EXPECT_EQ(Serve("index.html"), "400 target is not an absolute path");
  EXPECT_EQ(Serve(""), "400 target is not an absolute path");
  EXPECT_EQ(Serve("?x"), "400 target is not an absolute path");
}

TEST_F(StaticSiteTest, SymlinksInsideAreFollowedAndOutsideRefused) {
  EXPECT_EQ(Serve("/alias.html"), "200 text/html; charset=utf-8 | no-cache | home");
  EXPECT_EQ(Serve("/a/up.html"), "200 text/html; charset=utf-8 | no-cache | home");
  EXPECT_EQ(Serve("/out.txt"), "403 path leaves the site");
  EXPECT_EQ(Serve("/abs.txt"), "403 path leaves the site");
  EXPECT_EQ(Serve("/outdir/x.txt"), "403 path leaves the site");
  EXPECT_EQ(Serve("/outdir/"), "403 path leaves the site");
}

TEST_F(StaticSiteTest, RootOpenedAsDirectoryWorksToo) {
  root_fd_ = exec::UniqueFd(::open(site().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  ASSERT_TRUE(root_fd_.valid());
  EXPECT_EQ(Serve("/a/b.txt"), "200 text/plain; charset=utf-8 | public, max-age=300 | b");
  EXPECT_EQ(Serve("/out.txt"), "403 path leaves the site");
}

TEST_F(StaticSiteTest, SpaFallbackServesIndexForExtensionlessPaths) {
  StaticOptions spa{.spa_fallback = true};
  EXPECT_EQ(Serve("/users/42"), "404 no such file");
  EXPECT_EQ(Serve("/users/42", spa), "200 text/html; charset=utf-8 | no-cache | home");
  EXPECT_EQ(Serve("/users/42/?tab=1", spa), "200 text/html; charset=utf-8 | no-cache | home");
  EXPECT_EQ(Serve("/index.html/deeper", spa), "200 text/html; charset=utf-8 | no-cache | home");
  EXPECT_EQ(Serve("/missing.js", spa), "404 no such file");
  EXPECT_EQ(Serve("/v1.2/users", spa), "200 text/html; charset=utf-8 | no-cache | home");
  // The fallback never hides a refusal or a real file.
  EXPECT_EQ(Serve("/%2e%2e/secret", spa), "403 dot segment in path");
  EXPECT_EQ(Serve("/out.txt", spa), "403 path leaves the site");
  EXPECT_EQ(Serve("/docs", spa), "301 /docs/");
  EXPECT_EQ(Serve("/empty/", spa), "404 no such file");
  EXPECT_EQ(Serve("/style.css", spa), "200 text/css; charset=utf-8 | public, max-age=300 | body{}");
}

TEST_F(StaticSiteTest, SpaFallbackWithoutIndexIsNotFound) {
  fs::remove(site() / "index.html");
  EXPECT_EQ(Serve("/users/42", {.spa_fallback = true}), "404 no such file");
}

TEST_F(StaticSiteTest, EtagIsInodeSizeAndNanosecondMtime) {
  Result<StaticReply> reply = OpenStaticFile(root_fd_.get(), "/style.css", {});
  ASSERT_TRUE(reply.has_value());
  StaticFile& file = std::get<StaticFile>(*reply);
  struct stat info = {};
  ASSERT_EQ(::stat((site() / "style.css").c_str(), &info), 0);
  int64_t mtime_ns =
      static_cast<int64_t>(info.st_mtim.tv_sec) * 1'000'000'000 + info.st_mtim.tv_nsec;
  EXPECT_EQ(file.mtime_ns, mtime_ns);
  EXPECT_EQ(file.size, 6u);
  EXPECT_EQ(file.etag,
            fmt::format("\"{:x}-{:x}-{:x}\"", info.st_ino, 6, static_cast<uint64_t>(mtime_ns)));
  EXPECT_TRUE(NotModified(file.etag, file.etag));

  // Replacing the file (as a new release does) gives a new validator.
  dir_.Write("site/style.css.new", "body{color:red}");
  fs::rename(site() / "style.css.new", site() / "style.css");
  Result<StaticReply> again = OpenStaticFile(root_fd_.get(), "/style.css", {});
  ASSERT_TRUE(again.has_value());
  EXPECT_NE(std::get<StaticFile>(*again).etag, file.etag);
  EXPECT_FALSE(NotModified(file.etag, std::get<StaticFile>(*again).etag));
}

TEST_F(StaticSiteTest, EtagChangesWhenTheMtimeChangesByANanosecond) {
  struct timespec times[2] = {{.tv_sec = 1'700'000'000, .tv_nsec = 1},
                              {.tv_sec = 1'700'000'000, .tv_nsec = 1}};
  ASSERT_EQ(::utimensat(AT_FDCWD, (site() / "style.css").c_str(), times, 0), 0);
  Result<StaticReply> first = OpenStaticFile(root_fd_.get(), "/style.css", {});
  times[1].tv_nsec = 2;
  ASSERT_EQ(::utimensat(AT_FDCWD, (site() / "style.css").c_str(), times, 0), 0);
  Result<StaticReply> second = OpenStaticFile(root_fd_.get(), "/style.css", {});
  ASSERT_TRUE(first.has_value() && second.has_value());
  EXPECT_EQ(std::get<StaticFile>(*first).mtime_ns, 1'700'000'000'000'000'001);
  EXPECT_NE(std::get<StaticFile>(*first).etag, std::get<StaticFile>(*second).etag);
}

TEST_F(StaticSiteTest, NoGeneratedTargetReachesAFileOutsideTheSite) {
  // Targets assembled at random (fixed seed) from the pieces of traversal attempts: whatever
  // the combination, a served file must be one of the site's own files.
  struct stat secret = {}, outside = {};
  ASSERT_EQ(::stat((dir_.path() / "secret.txt").c_str(), &secret), 0);
  ASSERT_EQ(::stat((dir_.path() / "outside/x.txt").c_str(), &outside), 0);
  const std::vector<std::string_view> pieces = {
      "/",       "/",      "..",    ".",          "%2e",        "%2E",    "%2f",        "%2F",
      "%252e",   "a",      "b.txt", "secret.txt", "outside",    "x.txt",  "outdir",     "out.txt",
      "abs.txt", "%5c",    "\\",    "%00",        "%",          "docs",   "index.html", "?",
      "#",       "%2e%2e", "..%2f", "//",         "alias.html", "up.html"};
  std::mt19937 random(20240605);
  std::uniform_int_distribution<size_t> pick(0, pieces.size() - 1);
  std::uniform_int_distribution<int> length(1, 8);
  int served = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string target = "/";
    for (int n = length(random); n > 0; --n) target += pieces[pick(random)];
    for (bool spa : {false, true}) {
      Result<StaticReply> reply = OpenStaticFile(root_fd_.get(), target, {.spa_fallback = spa});
      ASSERT_TRUE(reply.has_value()) << target << ": " << reply.error().ToString();
      auto* file = std::get_if<StaticFile>(&*reply);
      if (file == nullptr) continue;
      ++served;
      struct stat info = {};
      ASSERT_EQ(::fstat(file->fd.get(), &info), 0);
      EXPECT_FALSE(info.st_ino == secret.st_ino && info.st_dev == secret.st_dev) << target;
      EXPECT_FALSE(info.st_ino == outside.st_ino && info.st_dev == outside.st_dev) << target;
    }
  }
  EXPECT_GT(served, 0);  // the generator does reach real files, so the check means something
}

TEST(StaticSiteNotModifiedTest, ComparesEntityTagsWeakly) {
  const std::string_view etag = "\"1f-6-abc\"";
  EXPECT_TRUE(NotModified("\"1f-6-abc\"", etag));
  EXPECT_TRUE(NotModified("W/\"1f-6-abc\"", etag));
  EXPECT_TRUE(NotModified("\"1f-6-abc\"", "W/\"1f-6-abc\""));
  EXPECT_TRUE(NotModified("\"x\", \"1f-6-abc\"", etag));
  EXPECT_TRUE(NotModified("\"x\",W/\"1f-6-abc\" , \"y\"", etag));
  EXPECT_TRUE(NotModified("*", etag));
  EXPECT_TRUE(NotModified("  * ", etag));
  EXPECT_FALSE(NotModified("\"x\", \"y\"", etag));
  EXPECT_FALSE(NotModified("", etag));
  EXPECT_FALSE(NotModified("\"1F-6-ABC\"", etag));    // opaque tags compare byte for byte
  EXPECT_FALSE(NotModified("w/\"1f-6-abc\"", etag));  // "W/" is case-sensitive
  EXPECT_FALSE(NotModified("1f-6-abc", etag));        // unquoted: malformed
  EXPECT_FALSE(NotModified("\"1f-6-abc", etag));      // unterminated: malformed
  EXPECT_FALSE(NotModified("\"1f-6-abc\" junk", etag));
  EXPECT_FALSE(NotModified("\"a\", *", etag));
}

TEST(StaticSiteNotModifiedTest, CommasInsideTagsDoNotSplitThem) {
  EXPECT_TRUE(NotModified("\"a,b\"", "\"a,b\""));
  EXPECT_FALSE(NotModified("\"a,b\"", "\"a\""));
  EXPECT_FALSE(NotModified("\"a,b\"", "\"b\""));
}

TEST(StaticSiteContentTypeTest, CommonWebTypesByExtension) {
  EXPECT_EQ(ContentTypeFor("index.html"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("INDEX.HTM"), "text/html; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("app.mjs"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("app.js"), "text/javascript; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("app.js.map"), "application/json");
  EXPECT_EQ(ContentTypeFor("data.json"), "application/json");
  EXPECT_EQ(ContentTypeFor("logo.svg"), "image/svg+xml");
  EXPECT_EQ(ContentTypeFor("a.png"), "image/png");
  EXPECT_EQ(ContentTypeFor("a.JPG"), "image/jpeg");
  EXPECT_EQ(ContentTypeFor("a.jpeg"), "image/jpeg");
  EXPECT_EQ(ContentTypeFor("a.gif"), "image/gif");
  EXPECT_EQ(ContentTypeFor("a.webp"), "image/webp");
  EXPECT_EQ(ContentTypeFor("favicon.ico"), "image/x-icon");
  EXPECT_EQ(ContentTypeFor("f.woff"), "font/woff");
  EXPECT_EQ(ContentTypeFor("f.woff2"), "font/woff2");
  EXPECT_EQ(ContentTypeFor("robots.txt"), "text/plain; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("m.wasm"), "application/wasm");
  EXPECT_EQ(ContentTypeFor("sitemap.xml"), "application/xml");
  EXPECT_EQ(ContentTypeFor("a.pdf"), "application/pdf");
  EXPECT_EQ(ContentTypeFor("style.css"), "text/css; charset=utf-8");
  EXPECT_EQ(ContentTypeFor("Makefile"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("archive.tar.gz"), "application/octet-stream");
  EXPECT_EQ(ContentTypeFor("trailing."), "application/octet-stream");
}

}  // namespace
}  // namespace lockstep::runtime
