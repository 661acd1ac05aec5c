#include "yaml/yaml_tree.h"

#include <gtest/gtest.h>

namespace lockstep::yaml {
namespace {

TEST(YamlTreeTest, KeepsDuplicateKeysInOrderWithTheirPositions) {
  auto root = ParseYaml("a: 1\nb: 2\na: 3\n", "f.yaml");
  ASSERT_TRUE(root.has_value());
  ASSERT_EQ(root->entries.size(), 3u);
  EXPECT_EQ(root->entries[2].key.value, "a");
  EXPECT_EQ(root->entries[2].key.mark.line, 3);
  EXPECT_EQ(root->entries[2].key.mark.column, 1);
  EXPECT_EQ(root->entries[2].value.value, "3");
  EXPECT_EQ(root->Find("a")->value, "1");  // Find returns the first
}

TEST(YamlTreeTest, TellsQuotedStringsFromPlainScalars) {
  auto root = ParseYaml("v: 1.0\nq: \"1.0\"\nb: true\nn: ~\ni: 0x1F\ns: main\n", "f.yaml");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->Find("v")->scalar_type(), ScalarType::kFloat);
  EXPECT_EQ(root->Find("q")->scalar_type(), ScalarType::kString);
  EXPECT_EQ(root->Find("b")->scalar_type(), ScalarType::kBool);
  EXPECT_EQ(root->Find("n")->scalar_type(), ScalarType::kNull);
  EXPECT_EQ(root->Find("i")->scalar_type(), ScalarType::kInteger);
  EXPECT_EQ(root->Find("s")->scalar_type(), ScalarType::kString);
}

TEST(YamlTreeTest, RecordsNestedPositionsFromOne) {
  auto root = ParseYaml("Actions:\n  Build:\n    DependsOn: [A, B]\n", "f.yaml");
  ASSERT_TRUE(root.has_value());
  const Node* depends_on = root->Find("Actions")->Find("Build")->Find("DependsOn");
  ASSERT_NE(depends_on, nullptr);
  ASSERT_TRUE(depends_on->IsSequence());
  EXPECT_EQ(depends_on->items[1].mark.line, 3);
  EXPECT_EQ(depends_on->items[1].mark.column, 20);
}

TEST(YamlTreeTest, ExpandsAliases) {
  auto root = ParseYaml("base: &b {x: 1}\ncopy: *b\n", "f.yaml");
  ASSERT_TRUE(root.has_value());
  EXPECT_EQ(root->Find("copy")->Find("x")->value, "1");
}

TEST(YamlTreeTest, RefusesAliasExpansionPastTheNodeLimit) {
  std::string text = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
  char previous = 'a';
  for (char name = 'b'; name <= 'k'; ++name) {
    text += fmt::format("{}: &{} [*{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}, *{}]\n", name, name,
                        previous, previous, previous, previous, previous, previous, previous,
                        previous, previous, previous);
    previous = name;
  }
  auto root = ParseYaml(text, "bomb.yaml");
  ASSERT_FALSE(root.has_value());
  EXPECT_EQ(root.error().message(),
            "the document has more than 1000000 nodes once aliases are expanded");
}

TEST(YamlTreeTest, ReportsSyntaxErrorsWithTheirPosition) {
  auto root = ParseYaml("a: 1\n\tb: 2\n", "broken.yaml");
  ASSERT_FALSE(root.has_value());
  EXPECT_EQ(root.error().ToString(), "broken.yaml:2:1: illegal tab when looking for indentation");
}

TEST(YamlTreeTest, PointsAtTheBracketThatIsNeverClosed) {
  auto root = ParseYaml("a: [1, \"]\", # ]\n  2\nb: 3\n", "broken.yaml");
  ASSERT_FALSE(root.has_value());
  EXPECT_EQ(root.error().ToString(),
            "broken.yaml:1:4: this '[' is never closed (expected ']' before line 3)");
}

TEST(YamlTreeTest, AnUnclosedBracketBeforeAnUnclosedQuoteStaysInsideTheInput) {
  // Found by the fuzzer: yaml-cpp's error position lay past the end of the text.
  // An exactly-sized buffer, so that AddressSanitizer sees a read one byte past the end.
  constexpr char kInput[] = "\0[Actions:  '&";
  auto buffer = std::make_unique<char[]>(sizeof kInput - 1);
  std::copy(kInput, kInput + sizeof kInput - 1, buffer.get());
  auto root = ParseYaml(std::string_view(buffer.get(), sizeof kInput - 1), "fuzz.yaml");
  ASSERT_FALSE(root.has_value());
  EXPECT_EQ(root.error().ToString(),
            "fuzz.yaml:1:2: this '[' is never closed (expected ']' before line 1)");
}

TEST(YamlTreeTest, RefusesAnUnterminatedQuotedString) {
  auto root = ParseYaml("a: 1\nb: \"open\n", "broken.yaml");
  ASSERT_FALSE(root.has_value());
  EXPECT_EQ(root.error().ToString(), "broken.yaml:2:4: unterminated quoted string");
}

TEST(YamlTreeTest, RefusesASecondDocument) {
  auto root = ParseYaml("a: 1\n---\nb: 2\n", "two.yaml");
  ASSERT_FALSE(root.has_value());
  EXPECT_EQ(root.error().ToString(),
            "two.yaml:2:1: expected one YAML document, found a second one");
}

TEST(YamlTreeTest, EmptyTextIsANullRoot) {
  auto root = ParseYaml("", "empty.yaml");
  ASSERT_TRUE(root.has_value());
  EXPECT_TRUE(root->IsNull());
}

}  // namespace
}  // namespace lockstep::yaml
