#include "engine/file_cache.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "engine/file_glob.h"
#include "temp_dir.h"

namespace lockstep::engine {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class FileCacheTest : public ::testing::Test {
 protected:
  fs::path cache_root() const { return state_.path() / "cache" / "Build"; }
  const fs::path& work() const { return work_.path(); }

  std::vector<std::string> Files(const fs::path& root) {
    Result<std::vector<std::string>> found = FindMatchingFiles(root, {"**"});
    EXPECT_TRUE(found.has_value()) << found.error().ToString();
    return found.value_or(std::vector<std::string>{});
  }

  // What is left in the cache folder: per key a directory and a lock file, no temporaries.
  std::vector<std::string> CacheListing() {
    std::vector<std::string> names;
    for (const fs::directory_entry& entry : fs::directory_iterator(cache_root())) {
      names.push_back(entry.path().filename().string());
    }
    std::ranges::sort(names);
    return names;
  }

  testing::TempDir state_;
  testing::TempDir work_;
  FileCache cache_{cache_root()};
};

TEST_F(FileCacheTest, SavesAndRestoresAFolder) {
  work_.Write("node_modules/left-pad/index.js", "module.exports = 1;\n");
  work_.Write("node_modules/.bin/tool", "#!/bin/sh\n");
  fs::permissions(work() / "node_modules/.bin/tool", fs::perms(0755), fs::perm_options::replace);
  fs::create_symlink("../left-pad/index.js", work() / "node_modules/.bin/pad");
  CacheEntry entry{"npm", "node_modules", {}};

  Result<bool> saved = cache_.Save(entry, work());
  ASSERT_TRUE(saved.has_value()) << saved.error().ToString();
  EXPECT_TRUE(*saved);
  EXPECT_EQ(CacheListing(), (std::vector<std::string>{".lock-npm", "npm"}));
  EXPECT_EQ(ReadAll(cache_root() / "npm/meta.json"), "{\"path\":\"node_modules\"}\n");

  testing::TempDir next;
  Result<std::string> restored = cache_.Restore(entry, next.path());
  ASSERT_TRUE(restored.has_value()) << restored.error().ToString();
  EXPECT_EQ(*restored, "npm");
  EXPECT_EQ(Files(next.path()),
            (std::vector<std::string>{"node_modules/.bin/pad", "node_modules/.bin/tool",
                                      "node_modules/left-pad/index.js"}));
  EXPECT_EQ(ReadAll(next.path() / "node_modules/left-pad/index.js"), "module.exports = 1;\n");
  EXPECT_EQ(fs::status(next.path() / "node_modules/.bin/tool").permissions(), fs::perms(0755));
  EXPECT_EQ(fs::read_symlink(next.path() / "node_modules/.bin/pad"), "../left-pad/index.js");
}

TEST_F(FileCacheTest, SavesAndRestoresASingleFileReplacingWhatIsThere) {
  work_.Write("deps/lock.bin", "v1");
  CacheEntry entry{"lock", "./deps/lock.bin", {}};
  ASSERT_EQ(cache_.Save(entry, work()), true);

  testing::TempDir next;
  next.Write("deps/lock.bin", "stale contents");
  EXPECT_EQ(cache_.Restore(entry, next.path()), "lock");
  EXPECT_EQ(ReadAll(next.path() / "deps/lock.bin"), "v1");
  EXPECT_EQ(Files(next.path()), std::vector<std::string>{"deps/lock.bin"});
}

TEST_F(FileCacheTest, RestoreFallsBackToTheFirstRestoreKeyWithACopy) {
  work_.Write("out/a.txt", "from fallback");
  ASSERT_EQ(cache_.Save(CacheEntry{"fallback", "out", {}}, work()), true);
  work_.Write("out/a.txt", "from later");
  ASSERT_EQ(cache_.Save(CacheEntry{"later", "out", {}}, work()), true);

  testing::TempDir next;
  CacheEntry entry{"exact", "out", {"absent", "fallback", "later"}};
  EXPECT_EQ(cache_.Restore(entry, next.path()), "fallback");
  EXPECT_EQ(ReadAll(next.path() / "out/a.txt"), "from fallback");

  // Restore keys match exactly, not as prefixes.
  testing::TempDir other;
  EXPECT_EQ(cache_.Restore(CacheEntry{"exact", "out", {"fall", "late"}}, other.path()), "");
  EXPECT_FALSE(fs::exists(other.path() / "out"));
}

TEST_F(FileCacheTest, NothingSavedNothingRestored) {
  CacheEntry entry{"gone", "does/not/exist", {}};
  EXPECT_EQ(cache_.Save(entry, work()), false);
  EXPECT_EQ(cache_.Restore(entry, work()), "");
  EXPECT_FALSE(fs::exists(cache_root() / "gone"));
}

TEST_F(FileCacheTest, RefusesInvalidKeys) {
  work_.Write("a.txt", "x");
  for (const char* key : {"", "../up", "with space", "a/b", ".hidden", "ключ"}) {
    Result<bool> saved = cache_.Save(CacheEntry{key, "a.txt", {}}, work());
    ASSERT_FALSE(saved.has_value()) << key;
    EXPECT_EQ(saved.error().code(), ErrorCode::kInvalidArgument);
    EXPECT_EQ(saved.error().message(), std::string("invalid cache key \"") + key +
                                           "\": use only letters, digits, '_' and '-'");
  }
  Result<std::string> restored = cache_.Restore(CacheEntry{"ok_Key-1", "a.txt", {"no/"}}, work());
  ASSERT_FALSE(restored.has_value());
  EXPECT_EQ(restored.error().message(),
            "invalid cache key \"no/\": use only letters, digits, '_' and '-'");
}

TEST_F(FileCacheTest, RefusesRelativePathsThatLeaveTheDirectory) {
  for (const char* path : {"..", "../sibling", "a/../../b"}) {
    Result<bool> saved = cache_.Save(CacheEntry{"k", path, {}}, work());
    ASSERT_FALSE(saved.has_value()) << path;
    EXPECT_EQ(saved.error().message(),
              std::string("cache path \"") + path + "\" leaves the action's directory");
    Result<std::string> restored = cache_.Restore(CacheEntry{"k", path, {}}, work());
    ASSERT_FALSE(restored.has_value()) << path;
  }
  Result<bool> saved = cache_.Save(CacheEntry{"k", "", {}}, work());
  ASSERT_FALSE(saved.has_value());
  EXPECT_EQ(saved.error().message(), "cache path is empty");
}

TEST_F(FileCacheTest, AcceptsAbsoluteAndHomePaths) {
  testing::TempDir home;
  home.Write(".npm/_cacache/index", "entries");
  const char* old_home = ::getenv("HOME");
  std::string saved_home = old_home ? old_home : "";
  ::setenv("HOME", home.path().c_str(), 1);
  Result<bool> saved = cache_.Save(CacheEntry{"npm", "~/.npm", {}}, work());
  Result<bool> saved_absolute =
      cache_.Save(CacheEntry{"abs", (home.path() / ".npm/_cacache/index").string(), {}}, work());
  fs::remove_all(home.path() / ".npm");
  Result<std::string> restored = cache_.Restore(CacheEntry{"npm", "~/.npm", {}}, work());
  if (old_home)
    ::setenv("HOME", saved_home.c_str(), 1);
  else
    ::unsetenv("HOME");

  ASSERT_TRUE(saved.has_value()) << saved.error().ToString();
  EXPECT_TRUE(*saved);
  ASSERT_TRUE(saved_absolute.has_value()) << saved_absolute.error().ToString();
  EXPECT_TRUE(*saved_absolute);
  EXPECT_EQ(restored, "npm");
  EXPECT_EQ(ReadAll(home.path() / ".npm/_cacache/index"), "entries");
  EXPECT_EQ(ReadAll(cache_root() / "abs/data"), "entries");
}

TEST_F(FileCacheTest, SavingReplacesTheOlderCopyWhole) {
  work_.Write("build/old-only.o", "old");
  work_.Write("build/both.o", "old");
  CacheEntry entry{"build", "build", {}};
  ASSERT_EQ(cache_.Save(entry, work()), true);
  fs::remove(work() / "build/old-only.o");
  work_.Write("build/both.o", "new");
  work_.Write("build/new-only.o", "new");
  ASSERT_EQ(cache_.Save(entry, work()), true);

  EXPECT_EQ(CacheListing(), (std::vector<std::string>{".lock-build", "build"}));
  EXPECT_EQ(Files(cache_root() / "build"),
            (std::vector<std::string>{"data/both.o", "data/new-only.o", "meta.json"}));
  EXPECT_EQ(ReadAll(cache_root() / "build/data/both.o"), "new");
}

TEST_F(FileCacheTest, ConcurrentSavesLeaveOneWholeCopyAndRestoresNeverMixThem) {
  // Two writers save different contents under one key while a reader restores; every copy
  // seen must be all one writer's, and the last rename wins.
  constexpr int kFiles = 20;
  constexpr int kRounds = 8;
  testing::TempDir writer_dirs[2];
  for (int w = 0; w < 2; ++w) {
    for (int i = 0; i < kFiles; ++i) {
      writer_dirs[w].Write("out/f" + std::to_string(i), "writer" + std::to_string(w));
    }
  }
  CacheEntry entry{"shared", "out", {}};
  ASSERT_EQ(cache_.Save(entry, writer_dirs[0].path()), true);

  std::vector<std::string> errors[3];
  auto write = [&](int w) {
    FileCache cache(cache_root());
    for (int round = 0; round < kRounds; ++round) {
      Result<bool> saved = cache.Save(entry, writer_dirs[w].path());
      if (!saved) errors[w].push_back(saved.error().ToString());
    }
  };
  std::thread first(write, 0);
  std::thread second(write, 1);
  int restores = 0;
  while (restores < kRounds) {
    ++restores;
    testing::TempDir into;
    Result<std::string> restored = FileCache(cache_root()).Restore(entry, into.path());
    if (!restored) {
      errors[2].push_back(restored.error().ToString());
      continue;
    }
    std::string first_content = ReadAll(into.path() / "out/f0");
    for (int i = 0; i < kFiles; ++i) {
      std::string content = ReadAll(into.path() / ("out/f" + std::to_string(i)));
      if (content != first_content) errors[2].push_back("mixed copy: f" + std::to_string(i));
    }
  }
  first.join();
  second.join();

  for (const auto& list : errors) EXPECT_EQ(list, std::vector<std::string>{});
  EXPECT_EQ(CacheListing(), (std::vector<std::string>{".lock-shared", "shared"}));
  std::string survivor = ReadAll(cache_root() / "shared/data/f0");
  for (int i = 0; i < kFiles; ++i) {
    EXPECT_EQ(ReadAll(cache_root() / ("shared/data/f" + std::to_string(i))), survivor);
  }
}

TEST_F(FileCacheTest, RefusesToSaveAFolderHoldingTheCache) {
  FileCache inside(work() / ".cache" / "wf");
  work_.Write("src/a.txt", "a");
  Result<bool> saved = inside.Save(CacheEntry{"all", ".", {}}, work());
  ASSERT_FALSE(saved.has_value());
  EXPECT_EQ(saved.error().message(),
            "cache path \".\" contains the cache folder " + (work() / ".cache/wf").string());
}

}  // namespace
}  // namespace lockstep::engine
