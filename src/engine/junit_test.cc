#include "engine/junit.h"

#include <gtest/gtest.h>

#include <string>

#include "temp_dir.h"

namespace lockstep::engine {
namespace {

using store::TestCounts;

TestCounts Parse(std::string_view xml) {
  Result<TestCounts> counts = ParseJUnit(xml, "report.xml");
  EXPECT_TRUE(counts.has_value()) << counts.error().ToString();
  return counts.value_or(TestCounts{-1, -1, -1});
}

std::string ParseError(std::string_view xml) {
  Result<TestCounts> counts = ParseJUnit(xml, "report.xml");
  if (counts) return "parsed";
  EXPECT_EQ(counts.error().code(), ErrorCode::kInvalidArgument);
  return counts.error().ToString();
}

TEST(JUnitTest, CountsPytestReport) {
  // pytest --junitxml: one <testsuites> around one <testsuite>; the suite's own totals are
  // ignored (here deliberately wrong).
  constexpr std::string_view kXml = R"(<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest" errors="0" failures="9" skipped="0" tests="99" time="0.05">
<testcase classname="test_app" name="test_ok" time="0.001" />
<testcase classname="test_app" name="test_bad" time="0.002"><failure message="assert 1 == 2">def test_bad():
&gt;       assert 1 == 2
E       assert 1 == 2</failure></testcase>
<testcase classname="test_app" name="test_boom" time="0.001"><error message="fixture failed">RuntimeError</error></testcase>
<testcase classname="test_app" name="test_later" time="0.000"><skipped type="pytest.skip" message="not yet">test_app.py:12: not yet</skipped></testcase>
<testcase classname="test_app" name="test_also_ok" time="0.001"><system-out>hello</system-out></testcase>
</testsuite></testsuites>
)";
  EXPECT_EQ(Parse(kXml), (TestCounts{2, 2, 1}));
}

TEST(JUnitTest, CountsJestReportWithNestedSuites) {
  constexpr std::string_view kXml = R"(<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="jest tests" tests="5" failures="1" errors="0" time="1.2">
  <testsuite name="math" errors="0" failures="0" skipped="1" timestamp="2024-01-01T00:00:00" time="0.5" tests="3">
    <testcase classname="math adds" name="math adds" time="0.001"></testcase>
    <testcase classname="math subtracts" name="math subtracts" time="0.001"></testcase>
    <testcase classname="math divides" name="math divides" time="0"><skipped/></testcase>
  </testsuite>
  <testsuite name="outer">
    <testsuite name="inner">
      <testcase classname="inner fails" name="inner fails" time="0.01">
        <failure>Error: expect(received).toBe(expected)</failure>
      </testcase>
    </testsuite>
    <testcase classname="outer passes" name="outer passes" time="0.01"/>
  </testsuite>
</testsuites>
)";
  EXPECT_EQ(Parse(kXml), (TestCounts{3, 1, 1}));
}

TEST(JUnitTest, CountsGoogleTestReport) {
  // The shape of --gtest_output=xml: a skipped test has <skipped/> inside its <testcase>, and
  // the suite's "skipped" and "disabled" totals are attributes.
  constexpr std::string_view kXml = R"(<?xml version="1.0" encoding="UTF-8"?>
<testsuites tests="4" failures="1" disabled="0" errors="0" time="0.012" timestamp="2024-05-01T10:00:00.000" name="AllTests">
  <testsuite name="PlanTest" tests="4" failures="1" disabled="0" skipped="1" errors="0" time="0.011" timestamp="2024-05-01T10:00:00.000">
    <testcase name="SharedDependencyRunsOnce" file="src/engine/plan_test.cc" line="12" status="run" result="completed" time="0.001" timestamp="2024-05-01T10:00:00.000" classname="PlanTest" />
    <testcase name="CycleIsReported" file="src/engine/plan_test.cc" line="30" status="run" result="completed" time="0.002" timestamp="2024-05-01T10:00:00.001" classname="PlanTest">
      <failure message="src/engine/plan_test.cc:35&#x0A;Expected equality of these values:&#x0A;  plan.size()&#x0A;    Which is: 2&#x0A;  3" type=""><![CDATA[src/engine/plan_test.cc:35
Expected equality of these values:
  plan.size()
    Which is: 2
  3
]]></failure>
    </testcase>
    <testcase name="NeedsDocker" file="src/engine/plan_test.cc" line="50" status="run" result="skipped" time="0" timestamp="2024-05-01T10:00:00.003" classname="PlanTest">
      <skipped message="src/engine/plan_test.cc:51&#x0A;Docker is not available"><![CDATA[src/engine/plan_test.cc:51
Docker is not available]]></skipped>
    </testcase>
    <testcase name="LimitsParallelism" file="src/engine/plan_test.cc" line="60" status="run" result="completed" time="0.001" timestamp="2024-05-01T10:00:00.004" classname="PlanTest" />
  </testsuite>
</testsuites>
)";
  EXPECT_EQ(Parse(kXml), (TestCounts{2, 1, 1}));
}

TEST(JUnitTest, UsesTotalsOfSummaryOnlySuites) {
  EXPECT_EQ(Parse(R"(<testsuite name="s" tests="10" failures="2" errors="1" skipped="3"/>)"),
            (TestCounts{4, 3, 3}));
  // Per suite: a listed suite counts its cases, a summary-only suite its attributes.
  EXPECT_EQ(Parse(R"(<testsuites tests="100" failures="50">
  <testsuite name="summary" tests="5" failures="1"/>
  <testsuite name="listed" tests="7" failures="7"><testcase name="a"/></testsuite>
  <testsuite name="junk" tests="many" failures="1"/>
  <testsuite name="negative" tests="-3"/>
</testsuites>)"),
            (TestCounts{5, 1, 0}));
  EXPECT_EQ(Parse("<testsuites/>"), (TestCounts{0, 0, 0}));
}

TEST(JUnitTest, ReportsMalformedXmlWithLineAndColumn) {
  EXPECT_EQ(ParseError("<testsuite>\n  <testcase name=\"a\">\n  </testsuite>\n"),
            "report.xml:3:5: not well-formed XML: Start-end tags mismatch");
  EXPECT_EQ(ParseError("<testsuite>\n<testcase name=\"a></testsuite>"),
            "report.xml:2:17: not well-formed XML: Error parsing element attribute");
  EXPECT_EQ(ParseError(""), "report.xml:1:1: not well-formed XML: No document element found");
}

TEST(JUnitTest, RefusesAnotherRootElement) {
  EXPECT_EQ(ParseError("<?xml version=\"1.0\"?>\n<!-- x -->\n  <coverage line-rate=\"1\"/>\n"),
            "report.xml:3:3: not a JUnit report: root element is <coverage>");
}

TEST(JUnitTest, ParsesFilesAndNamesThemInErrors) {
  testing::TempDir dir;
  dir.Write("ok.xml", "<testsuite><testcase/><testcase><error/></testcase></testsuite>");
  dir.Write("bad.xml", "<testsuite>\n<");
  Result<TestCounts> counts = ParseJUnitFile(dir.path() / "ok.xml");
  ASSERT_TRUE(counts.has_value()) << counts.error().ToString();
  EXPECT_EQ(*counts, (TestCounts{1, 1, 0}));

  counts = ParseJUnitFile(dir.path() / "bad.xml");
  ASSERT_FALSE(counts.has_value());
  EXPECT_EQ(counts.error().ToString(),
            (dir.path() / "bad.xml").string() +
                ":2:1: not well-formed XML: Could not determine tag type");

  counts = ParseJUnitFile(dir.path() / "missing.xml");
  ASSERT_FALSE(counts.has_value());
  EXPECT_EQ(counts.error().code(), ErrorCode::kNotFound);
}

TEST(JUnitTest, RefusesOversizedReports) {
  testing::TempDir dir;
  std::filesystem::path path = dir.path() / "huge.xml";
  dir.Write("huge.xml", "<testsuite/>");
  std::filesystem::resize_file(path, (std::uintmax_t{64} << 20) + 1);  // sparse, so cheap
  Result<TestCounts> counts = ParseJUnitFile(path);
  ASSERT_FALSE(counts.has_value());
  EXPECT_EQ(counts.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(counts.error().ToString(),
            path.string() + ": test report is larger than 64 MiB; not parsed");
}

TEST(JUnitTest, LooksLikeJUnitChecksTheFirstElement) {
  testing::TempDir dir;
  dir.Write("plain.xml", "<testsuites><testsuite/></testsuites>");
  dir.Write("prolog.xml",
            "\xEF\xBB\xBF<?xml version=\"1.0\"?>\n<?xml-stylesheet href=\"a.xsl\"?>\n"
            "<!-- <coverage> -->\n<!DOCTYPE testsuite [ <!ELEMENT testsuite ANY> ]>\n"
            "<testsuite name=\"x\">");
  dir.Write("upper.XML", "<testsuite/>");
  dir.Write("coverage.xml", "<?xml version=\"1.0\"?>\n<coverage/>");
  dir.Write("prefix.xml", "<testsuitesummary/>");
  dir.Write("report.txt", "<testsuite/>");
  dir.Write("long-comment.xml", "<!--" + std::string(10000, ' ') + "--><testsuite/>");
  dir.Write("empty.xml", "");
  EXPECT_TRUE(LooksLikeJUnit(dir.path() / "plain.xml"));
  EXPECT_TRUE(LooksLikeJUnit(dir.path() / "prolog.xml"));
  EXPECT_TRUE(LooksLikeJUnit(dir.path() / "upper.XML"));
  EXPECT_FALSE(LooksLikeJUnit(dir.path() / "coverage.xml"));
  EXPECT_FALSE(LooksLikeJUnit(dir.path() / "prefix.xml"));
  EXPECT_FALSE(LooksLikeJUnit(dir.path() / "report.txt"));
  EXPECT_FALSE(LooksLikeJUnit(dir.path() / "long-comment.xml"));  // past the bytes it reads
  EXPECT_FALSE(LooksLikeJUnit(dir.path() / "empty.xml"));
  EXPECT_FALSE(LooksLikeJUnit(dir.path() / "missing.xml"));
}

}  // namespace
}  // namespace lockstep::engine
