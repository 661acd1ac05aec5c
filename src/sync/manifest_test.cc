#include "sync/manifest.h"

#include <fmt/core.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "base/sha256.h"
#include "temp_dir.h"

namespace lockstep::sync {
namespace {

namespace fs = std::filesystem;

const std::string kCommit = "0123456789abcdef0123456789abcdef01234567";
const std::string kTree = "89abcdef0123456789abcdef0123456789abcdef";

Manifest SampleManifest() {
  Manifest manifest;
  manifest.source_repository = "/srv/repos/app";
  manifest.source_path = "lib";
  manifest.commit = kCommit;
  manifest.tree_id = kTree;
  manifest.time = "2026-12-04T18:43:24Z";
  manifest.actor = "ci";
  manifest.files = {
      {"a b/\xC3\xBC.txt", kModeRegular, 3, Sha256Hex("abc")},
      {"bin/tool", kModeExecutable, 0, Sha256Hex("")},
      {"link", kModeSymlink, 5, Sha256Hex("a.txt")},
  };
  manifest.digest = ManifestDigest(manifest);
  return manifest;
}

// Replaces the first occurrence of `from` in `text`, which must be there.
std::string Replace(std::string text, std::string_view from, std::string_view to) {
  size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

class ManifestTest : public ::testing::Test {
 protected:
  // The error text of parsing `text`, or "ok".
  static std::string ParseError(const std::string& text) {
    Result<Manifest> parsed = ParseManifestJson(text, "m.json");
    return parsed ? "ok" : parsed.error().ToString();
  }
};

TEST_F(ManifestTest, WritesOneLinePerFileWithTheDigest) {
  Manifest manifest = SampleManifest();
  manifest.files.resize(1);
  std::string digest = ManifestDigest(manifest);
  manifest.digest = "ignored";
  EXPECT_EQ(WriteManifestJson(manifest), fmt::format(R"({{
  "format_version": 1,
  "source_repository": "/srv/repos/app",
  "source_path": "lib",
  "commit": "{}",
  "tree_id": "{}",
  "time": "2026-12-04T18:43:24Z",
  "actor": "ci",
  "digest": "{}",
  "files": [
    {{"path": "a b/ü.txt", "mode": "100644", "size": 3, "sha256": "{}"}}
  ]
}}
)",
                                                     kCommit, kTree, digest, Sha256Hex("abc")));
}

TEST_F(ManifestTest, CanonicalFormIsSortedKeysWithoutWhitespace) {
  Manifest manifest = SampleManifest();
  manifest.files.resize(1);
  manifest.actor = "a \"quoted\"\tname\x01";
  EXPECT_EQ(CanonicalManifestJson(manifest),
            "{\"actor\":\"a \\\"quoted\\\"\\tname\\u0001\",\"commit\":\"" + kCommit +
                "\",\"files\":[{\"mode\":\"100644\",\"path\":\"a b/\xC3\xBC.txt\",\"sha256\":\"" +
                Sha256Hex("abc") +
                "\",\"size\":3}],\"format_version\":1,\"source_path\":\"lib\","
                "\"source_repository\":\"/srv/repos/app\",\"time\":\"2026-12-04T18:43:24Z\","
                "\"tree_id\":\"" +
                kTree + "\"}");
  EXPECT_EQ(ManifestDigest(manifest), Sha256Hex(CanonicalManifestJson(manifest)));
}

TEST_F(ManifestTest, WrittenManifestParsesBackEqual) {
  Manifest manifest = SampleManifest();
  Result<Manifest> parsed = ParseManifestJson(WriteManifestJson(manifest), "m.json");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, manifest);
}

TEST_F(ManifestTest, EscapedNamesAndReformattedFilesParseTheSameAsTheWrittenLayout) {
  // The written layout is read by a fast path; anything else by the general JSON parser.
  // Both must give the same manifest.
  Manifest manifest = SampleManifest();
  manifest.files.insert(manifest.files.begin(),
                        {"\"quoted\"\n\tname", kModeRegular, 1, Sha256Hex("q")});
  manifest.actor = "back\\slash";
  manifest.digest = ManifestDigest(manifest);
  std::string written = WriteManifestJson(manifest);
  Result<Manifest> fast = ParseManifestJson(written, "m.json");
  ASSERT_TRUE(fast.has_value()) << fast.error().ToString();
  EXPECT_EQ(*fast, manifest);
  std::string reformatted = nlohmann::json::parse(written).dump(4);
  Result<Manifest> general = ParseManifestJson(reformatted, "m.json");
  ASSERT_TRUE(general.has_value()) << general.error().ToString();
  EXPECT_EQ(*general, manifest);
  // A change in the written layout is caught on the fast path too.
  std::string tampered = Replace(written, manifest.files[1].sha256, Sha256Hex("other"));
  EXPECT_EQ(ParseManifestJson(tampered, "m.json").error().code(), ErrorCode::kCorruption);
}

TEST_F(ManifestTest, ARepeatedKeyIsRefused) {
  std::string text = WriteManifestJson(SampleManifest());
  std::string repeated =
      Replace(text, "\"size\": 3,", "\"size\": 3, \"sha256\": \"" + Sha256Hex("x") + "\",");
  EXPECT_EQ(ParseError(repeated), "m.json: key \"sha256\" appears twice in one object");
}

TEST_F(ManifestTest, EmptyFileListRoundTrips) {
  Manifest manifest = SampleManifest();
  manifest.files.clear();
  manifest.digest = ManifestDigest(manifest);
  Result<Manifest> parsed = ParseManifestJson(WriteManifestJson(manifest), "m.json");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, manifest);
}

TEST_F(ManifestTest, DigestSurvivesReorderedKeysAndWhitespace) {
  Manifest manifest = SampleManifest();
  // The same values with keys in reverse order and four-space indentation.
  nlohmann::json written = nlohmann::json::parse(WriteManifestJson(manifest));
  nlohmann::ordered_json reordered;
  for (auto it = written.rbegin(); it != written.rend(); ++it) {
    if (it->is_array()) {
      nlohmann::ordered_json files = nlohmann::ordered_json::array();
      for (const nlohmann::json& entry : *it) {
        nlohmann::ordered_json reversed;
        for (auto field = entry.rbegin(); field != entry.rend(); ++field) {
          reversed[field.key()] = *field;
        }
        files.push_back(reversed);
      }
      reordered[it.key()] = files;
    } else {
      reordered[it.key()] = *it;
    }
  }
  std::string text = reordered.dump(4);
  ASSERT_TRUE(text.starts_with("{\n    \"tree_id\""));

  Result<Manifest> parsed = ParseManifestJson(text, "m.json");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
  EXPECT_EQ(*parsed, manifest);
  EXPECT_EQ(ManifestDigest(*parsed), manifest.digest);
}

TEST_F(ManifestTest, ChangedFileHashIsCorruption) {
  Manifest manifest = SampleManifest();
  std::string text = Replace(WriteManifestJson(manifest), Sha256Hex("abc"), Sha256Hex("abd"));
  Result<Manifest> parsed = ParseManifestJson(text, "m.json");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(parsed.error().ToString(),
            "m.json: manifest digest does not match: the manifest was changed or damaged");
}

TEST_F(ManifestTest, AddedEntryIsCorruption) {
  Manifest manifest = SampleManifest();
  std::string added = "{\"path\": \"evil\", \"mode\": \"100755\", \"size\": 0, \"sha256\": \"" +
                      Sha256Hex("") + "\"},\n    {\"path\": \"link\"";
  std::string text = Replace(WriteManifestJson(manifest), "{\"path\": \"link\"", added);
  Result<Manifest> parsed = ParseManifestJson(text, "m.json");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kCorruption);
  EXPECT_EQ(parsed.error().ToString(),
            "m.json: manifest digest does not match: the manifest was changed or damaged");
}

TEST_F(ManifestTest, ChangedHeaderFieldIsCorruption) {
  std::string text = Replace(WriteManifestJson(SampleManifest()), "\"ci\"", "\"someone\"");
  Result<Manifest> parsed = ParseManifestJson(text, "m.json");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kCorruption);
}

TEST_F(ManifestTest, NotJsonReportsLineAndColumn) {
  std::string text = Replace(WriteManifestJson(SampleManifest()), "\"lib\",", "lib,");
  Result<Manifest> parsed = ParseManifestJson(text, "m.json");
  ASSERT_FALSE(parsed.has_value());
  EXPECT_EQ(parsed.error().code(), ErrorCode::kInvalidArgument);
  ASSERT_TRUE(parsed.error().location().has_value());
  EXPECT_EQ(parsed.error().location()->line, 4);
  EXPECT_EQ(parsed.error().location()->column, 18);
  EXPECT_EQ(parsed.error().ToString(),
            "m.json:4:18: not valid JSON: syntax error while parsing value - invalid literal; "
            "last read: '\"source_path\": l'");
}

TEST_F(ManifestTest, MissingFieldIsNamed) {
  std::string text = WriteManifestJson(SampleManifest());
  EXPECT_EQ(ParseError(Replace(text, "\"size\": 0, ", "")),
            "m.json: files[1]: missing field \"size\"");
  EXPECT_EQ(ParseError(Replace(text, "  \"actor\": \"ci\",\n", "")),
            "m.json: missing field \"actor\"");
}

TEST_F(ManifestTest, WrongTypeIsNamed) {
  std::string text = WriteManifestJson(SampleManifest());
  EXPECT_EQ(ParseError(Replace(text, "\"size\": 3", "\"size\": \"3\"")),
            "m.json: files[0]: field \"size\" must be an integer, found string");
  EXPECT_EQ(ParseError(Replace(text, "\"size\": 3", "\"size\": 3.5")),
            "m.json: files[0]: field \"size\" must be an integer, found number");
  EXPECT_EQ(ParseError(Replace(text, "\"lib\"", "null")),
            "m.json: field \"source_path\" must be a string, found null");
  EXPECT_EQ(ParseError("[]"), "m.json: the manifest must be a JSON object, found array");
}

TEST_F(ManifestTest, UnknownFieldIsRefused) {
  std::string text = WriteManifestJson(SampleManifest());
  EXPECT_EQ(ParseError(Replace(text, "\"size\": 3,", "\"size\": 3, \"owner\": \"x\",")),
            "m.json: files[0]: unknown field \"owner\"");
  EXPECT_EQ(ParseError(Replace(text, "{\n", "{\n  \"extra\": 1,\n")),
            "m.json: unknown field \"extra\"");
}

TEST_F(ManifestTest, BadValuesAreRefused) {
  std::string text = WriteManifestJson(SampleManifest());
  std::string hash = Sha256Hex("abc");
  std::string upper = hash;
  std::ranges::transform(upper, upper.begin(),
                         [](char c) { return static_cast<char>(toupper(c)); });
  EXPECT_EQ(ParseError(Replace(text, hash, upper)),
            "m.json: files[0]: field \"sha256\" must be 64 lower-case hex digits, found \"" +
                upper + "\"");
  EXPECT_EQ(ParseError(Replace(text, "\"100755\"", "\"100775\"")),
            "m.json: files[1]: field \"mode\" must be \"100644\", \"100755\" or \"120000\", "
            "found \"100775\"");
  EXPECT_EQ(ParseError(Replace(text, "\"size\": 3", "\"size\": -3")),
            "m.json: files[0]: field \"size\" is negative: -3");
  EXPECT_EQ(ParseError(Replace(text, "\"format_version\": 1", "\"format_version\": 2")),
            "m.json: unsupported format_version 2 (this lockstep reads 1)");
  EXPECT_EQ(ParseError(Replace(text, kCommit, "abc123")),
            "m.json: field \"commit\" must be a full object id (40 or 64 lower-case hex digits), "
            "found \"abc123\"");
  EXPECT_EQ(ParseError(Replace(text, "18:43:24Z", "18:43:24+01:00")),
            "m.json: field \"time\" must be RFC 3339 in UTC like \"2026-12-04T18:43:24Z\", found "
            "\"2026-12-04T18:43:24+01:00\"");
}

TEST_F(ManifestTest, UnsafePathsAreRefused) {
  std::string text = WriteManifestJson(SampleManifest());
  auto with_path = [&](std::string_view path) {
    return ParseError(Replace(text, "\"link\"", "\"" + std::string(path) + "\""));
  };
  EXPECT_EQ(with_path("../x"), "m.json: files[2]: path contains a \"..\" component: \"../x\"");
  EXPECT_EQ(with_path("/etc/x"), "m.json: files[2]: path is absolute: \"/etc/x\"");
  EXPECT_EQ(with_path("x/./y"), "m.json: files[2]: path contains a \".\" component: \"x/./y\"");
  EXPECT_EQ(with_path("x//y"), "m.json: files[2]: path contains \"//\": \"x//y\"");
  EXPECT_EQ(with_path("x/"), "m.json: files[2]: path ends in '/': \"x/\"");
  EXPECT_EQ(with_path(""), "m.json: files[2]: path is empty: \"\"");
  EXPECT_EQ(with_path(".lockstep-sync.json"),
            "m.json: files[2]: path is the manifest itself: \".lockstep-sync.json\"");
}

TEST_F(ManifestTest, UnsortedOrDuplicatePathsAreRefused) {
  Manifest manifest = SampleManifest();
  std::swap(manifest.files[0], manifest.files[1]);
  EXPECT_EQ(ParseError(WriteManifestJson(manifest)),
            "m.json: files[1]: paths not sorted: \"a b/\xC3\xBC.txt\" comes after \"bin/tool\"");
  manifest = SampleManifest();
  manifest.files[2].path = "bin/tool";
  EXPECT_EQ(ParseError(WriteManifestJson(manifest)),
            "m.json: files[2]: duplicate path \"bin/tool\"");
}

TEST_F(ManifestTest, AFileCannotAlsoBeAFolder) {
  Manifest manifest = SampleManifest();
  manifest.files.push_back({"link/x", kModeRegular, 1, Sha256Hex("x")});
  EXPECT_EQ(ParseError(WriteManifestJson(manifest)),
            "m.json: files[3]: \"link/x\" is inside \"link\", which is a file");
}

TEST_F(ManifestTest, ReadManifestFromDirectory) {
  testing::TempDir dir;
  Result<Manifest> missing = ReadManifest(dir.path());
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(missing.error().ToString(), (dir.path() / ".lockstep-sync.json").string() +
                                            ": no sync manifest (is this a synced directory?)");

  dir.Write(".lockstep-sync.json", WriteManifestJson(SampleManifest()));
  Result<Manifest> read = ReadManifest(dir.path());
  ASSERT_TRUE(read.has_value()) << read.error().ToString();
  EXPECT_EQ(*read, SampleManifest());

  // A link to a manifest elsewhere does not describe this directory.
  testing::TempDir other;
  fs::rename(dir.path() / ".lockstep-sync.json", other.path() / "m.json");
  fs::create_symlink(other.path() / "m.json", dir.path() / ".lockstep-sync.json");
  Result<Manifest> linked = ReadManifest(dir.path());
  ASSERT_FALSE(linked.has_value());
  EXPECT_EQ(linked.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(linked.error().ToString(), (dir.path() / ".lockstep-sync.json").string() +
                                           ": the sync manifest is not a regular file");
}

}  // namespace
}  // namespace lockstep::sync
