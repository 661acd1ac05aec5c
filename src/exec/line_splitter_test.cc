#include "exec/line_splitter.h"

#include <gtest/gtest.h>

namespace lockstep::exec {
namespace {

std::vector<std::string> TextsOf(const std::vector<OutputLine>& lines) {
  std::vector<std::string> texts;
  for (const OutputLine& line : lines) texts.push_back(line.text);
  return texts;
}

TEST(LineSplitterTest, CutsAtNewlinesAcrossChunks) {
  LineSplitter splitter(Stream::kStderr);
  std::vector<OutputLine> lines;
  Clock::time_point first = Clock::now();
  Clock::time_point second = first + std::chrono::seconds(1);
  splitter.Add("one\ntw", first, lines);
  splitter.Add("o\n\nthree", second, lines);
  EXPECT_EQ(TextsOf(lines), (std::vector<std::string>{"one", "two", ""}));
  splitter.Finish(lines);
  EXPECT_EQ(TextsOf(lines), (std::vector<std::string>{"one", "two", "", "three"}));
  // A line carries the time its first byte was read.
  EXPECT_EQ(lines[1].time, first);
  EXPECT_EQ(lines[2].time, second);
  EXPECT_EQ(lines[0].stream, Stream::kStderr);
}

TEST(LineSplitterTest, FinishAddsNothingAfterANewline) {
  LineSplitter splitter(Stream::kStdout);
  std::vector<OutputLine> lines;
  splitter.Add("a\n", Clock::now(), lines);
  splitter.Finish(lines);
  EXPECT_EQ(TextsOf(lines), (std::vector<std::string>{"a"}));
}

TEST(LineSplitterTest, SplitsLongLinesButKeepsOnesOfExactlyTheLimit) {
  LineSplitter splitter(Stream::kStdout, 4);
  std::vector<OutputLine> lines;
  splitter.Add("abcd\nabcdefghij\n", Clock::now(), lines);
  EXPECT_EQ(TextsOf(lines), (std::vector<std::string>{"abcd", "abcd", "efgh", "ij"}));
}

TEST(LineSplitterTest, DoesNotCutInsideAUtf8Sequence) {
  LineSplitter splitter(Stream::kStdout, 4);
  std::vector<OutputLine> lines;
  splitter.Add("ab\xE2\x82\xAC\n", Clock::now(), lines);  // "ab€"
  EXPECT_EQ(TextsOf(lines), (std::vector<std::string>{"ab", "\xE2\x82\xAC"}));
}

TEST(LineSplitterTest, DefaultLimitIs64KiB) {
  LineSplitter splitter(Stream::kStdout);
  std::vector<OutputLine> lines;
  splitter.Add(std::string(65537, 'x') + "\n", Clock::now(), lines);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].text.size(), 65536u);
  EXPECT_EQ(lines[1].text, "x");
}

}  // namespace
}  // namespace lockstep::exec
