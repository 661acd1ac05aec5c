// Every fixture under tests/workflows/: valid ones load without a diagnostic; each invalid
// one produces exactly the diagnostics its "# expect:" lines list, text, line and column.
#include <gtest/gtest.h>

#include "fixture_util.h"
#include "workflow/load.h"

namespace lockstep {
namespace {

using testing::CommentValues;
using testing::FixtureFiles;
using testing::ReadText;

std::vector<std::string> Diagnose(const std::filesystem::path& path) {
  auto result = workflow::LoadWorkflow(ReadText(path), path.filename().string());
  std::vector<std::string> lines;
  for (const Diagnostic& diagnostic : result.diagnostics.items()) {
    lines.push_back(fmt::format("{}:{}: {}: {}", diagnostic.location.line,
                                diagnostic.location.column, SeverityName(diagnostic.severity),
                                diagnostic.message));
  }
  return lines;
}

std::string TestName(const ::testing::TestParamInfo<std::filesystem::path>& info) {
  std::string name = info.param.stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

class ValidWorkflowTest : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(ValidWorkflowTest, LoadsWithoutDiagnostics) {
  EXPECT_EQ(Diagnose(GetParam()), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(Fixtures, ValidWorkflowTest,
                         ::testing::ValuesIn(FixtureFiles("tests/workflows/valid")), TestName);

class InvalidWorkflowTest : public ::testing::TestWithParam<std::filesystem::path> {};

TEST_P(InvalidWorkflowTest, ReportsExactlyTheExpectedDiagnostics) {
  std::string text = ReadText(GetParam());
  std::vector<std::string> expected = CommentValues(text, "expect");
  ASSERT_FALSE(expected.empty()) << "no '# expect:' line";
  bool has_error = std::any_of(expected.begin(), expected.end(), [](const std::string& line) {
    return line.find(": error: ") != std::string::npos;
  });
  EXPECT_TRUE(has_error) << "an invalid fixture must expect at least one error";
  EXPECT_EQ(Diagnose(GetParam()), expected);
}

INSTANTIATE_TEST_SUITE_P(Fixtures, InvalidWorkflowTest,
                         ::testing::ValuesIn(FixtureFiles("tests/workflows/invalid")), TestName);

TEST(WorkflowFixtureCountTest, ThereAreEnoughFixtures) {
  EXPECT_GE(FixtureFiles("tests/workflows/valid").size(), 6u);
  EXPECT_GE(FixtureFiles("tests/workflows/invalid").size(), 40u);
}

}  // namespace
}  // namespace lockstep
