#include "audit/canonical.h"

#include <gtest/gtest.h>

#include <string>

#include "base/json_string.h"

namespace lockstep::audit {
namespace {

constexpr int64_t kTime = 1796432523456;  // 2026-12-05T01:02:03.456Z

store::AuditRow MakeRow() {
  return store::AuditRow{.seq = 1,
                         .time = kTime,
                         .actor = "alice",
                         .action = "rollout.started",
                         .subject = "rollout 7",
                         .details = R"({"commit":"abc","n":2})",
                         .prev_hash = std::string(kGenesisHash),
                         .hash = {}};
}

TEST(AuditCanonicalTest, CanonicalTextHasTheDocumentedMemberOrderAndHash) {
  store::AuditRow row = MakeRow();
  const std::string canonical = CanonicalText(row);
  EXPECT_EQ(canonical,
            R"({"seq":1,"time":"2026-12-05T01:02:03.456Z","actor":"alice",)"
            R"("action":"rollout.started","subject":"rollout 7","details":{"commit":"abc","n":2},)"
            R"("prev":"0000000000000000000000000000000000000000000000000000000000000000"})");
  // Computed independently: printf '%s' "$canonical" | sha256sum
  EXPECT_EQ(HashCanonical(canonical),
            "65fe45add5005a37f39b5736e8383d48f59b14dfc70378e10ef84c971a6c0208");
}

TEST(AuditCanonicalTest, FileLineInsertsTheHashBeforeTheFinalBrace) {
  store::AuditRow row = MakeRow();
  row.hash = HashCanonical(CanonicalText(row));
  const std::string line = FileLine(row);
  const std::string canonical = CanonicalText(row);
  EXPECT_EQ(line, canonical.substr(0, canonical.size() - 1) + R"(,"hash":")" + row.hash + "\"}\n");

  Result<ParsedLine> parsed = ParseLine(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message();
  EXPECT_EQ(parsed->seq, 1);
  EXPECT_EQ(parsed->prev, kGenesisHash);
  EXPECT_EQ(parsed->hash, row.hash);
  EXPECT_EQ(std::string(parsed->body) + "}", canonical);
  EXPECT_EQ(HashLine(*parsed), row.hash);
}

TEST(AuditCanonicalTest, FormatsTimesInUtcWithMilliseconds) {
  EXPECT_EQ(FormatAuditTime(kTime), "2026-12-05T01:02:03.456Z");
  EXPECT_EQ(FormatAuditTime(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(FormatAuditTime(951782400000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(FormatAuditTime(-1), "1969-12-31T23:59:59.999Z");
}

TEST(AuditCanonicalTest, EscapesStringsAsTheDetailsSerialiserDoes) {
  // Every ASCII byte and some multi-byte characters, escaped by both: the strings of a record
  // and those inside its details must follow one rule.
  for (int byte = 1; byte < 0x80; ++byte) {
    std::string text = "a" + std::string(1, static_cast<char>(byte)) + "b";
    std::string ours;
    AppendJsonString(text, ours);
    EXPECT_EQ(ours, nlohmann::json(text).dump()) << "byte " << byte;
  }
  std::string text = std::string("\0", 1) + "é → ✓ 𝄞 \x7f";
  std::string ours;
  AppendJsonString(text, ours);
  EXPECT_EQ(ours, nlohmann::json(text).dump());
  EXPECT_EQ(ours, "\"\\u0000é → ✓ 𝄞 \x7f\"");
}

TEST(AuditCanonicalTest, DetailsAreCompactWithSortedKeysAtEveryLevel) {
  nlohmann::json details = nlohmann::json::parse(
      R"({"zeta": 1, "alpha": {"y": [3, {"b": true, "a": null}], "x": "t\n"}, "Beta": -2})");
  Result<std::string> canonical = CanonicalDetails(details);
  ASSERT_TRUE(canonical.has_value()) << canonical.error().message();
  EXPECT_EQ(*canonical, R"({"Beta":-2,"alpha":{"x":"t\n","y":[3,{"a":null,"b":true}]},"zeta":1})");
  EXPECT_EQ(CanonicalDetails(nullptr).value_or("?"), "{}");
}

TEST(AuditCanonicalTest, DetailsMustBeAnObjectOfUtf8Text) {
  Result<std::string> array = CanonicalDetails(nlohmann::json::array({1, 2}));
  ASSERT_FALSE(array.has_value());
  EXPECT_EQ(array.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(array.error().message(), "audit details must be a JSON object, not array");

  Result<std::string> binary = CanonicalDetails({{"bytes", std::string("\xff\xfe")}});
  ASSERT_FALSE(binary.has_value());
  EXPECT_EQ(binary.error().message(), "audit details hold a string that is not UTF-8");
}

TEST(AuditCanonicalTest, ParseLineNamesWhatIsWrongWithItsShape) {
  store::AuditRow row = MakeRow();
  row.hash = HashCanonical(CanonicalText(row));
  std::string line = FileLine(row);
  line.pop_back();
  auto message = [](std::string_view text) {
    Result<ParsedLine> parsed = ParseLine(text);
    return parsed ? std::string("parsed") : parsed.error().message();
  };
  EXPECT_EQ(message(line), "parsed");
  EXPECT_EQ(message("hello"), R"(not an audit record: it does not start with {"seq":)");
  EXPECT_EQ(message(R"({"seq":01,"time":"x"})"),
            "not an audit record: its seq is not a number from 1");
  EXPECT_EQ(message(R"({"seq":1,"time":"x"})"), "not an audit record: too short");
  std::string upper = line;
  upper[upper.size() - 3] = 'A';  // the hash's last digit
  EXPECT_EQ(message(upper),
            R"(not an audit record: it does not end with ,"hash":"<64 hex digits>"})");
  std::string no_prev = line;
  no_prev.replace(no_prev.find(R"("prev")"), 6, R"("PREV")");
  EXPECT_EQ(message(no_prev),
            R"(not an audit record: no ,"prev":"<64 hex digits>" before its hash)");
}

}  // namespace
}  // namespace lockstep::audit
