#include "exec/output_collector.h"

#include <gtest/gtest.h>

namespace lockstep::exec {
namespace {

std::vector<std::string> TextsOf(const std::vector<OutputLine>& lines) {
  std::vector<std::string> texts;
  for (const OutputLine& line : lines) {
    const char* prefix = line.stream == Stream::kStdout ? "out: " : "err: ";
    texts.push_back(prefix + line.text);
  }
  return texts;
}

TEST(OutputCollectorTest, MasksEachStreamBeforeCuttingLines) {
  OutputCollector output(1 << 20, {"secret"});
  std::vector<OutputLine> lines;
  Clock::time_point now = Clock::now();
  output.Add(Stream::kStdout, "a sec", now, lines);
  output.Add(Stream::kStderr, "secret\nsec", now, lines);
  output.Add(Stream::kStdout, "ret\n", now, lines);
  output.End(Stream::kStdout, lines);
  output.End(Stream::kStderr, lines);
  EXPECT_EQ(TextsOf(lines), (std::vector<std::string>{"err: ***", "out: a ***", "err: sec"}));
  EXPECT_EQ(output.output_bytes(), 19u);
  EXPECT_EQ(output.TruncationNote(now), std::nullopt);
}

TEST(OutputCollectorTest, KeepsAtMostTheCapAcrossBothStreams) {
  OutputCollector output(8, {});
  std::vector<OutputLine> lines;
  Clock::time_point now = Clock::now();
  output.Add(Stream::kStdout, "abc\n", now, lines);
  output.Add(Stream::kStderr, "defghi\n", now, lines);
  output.Add(Stream::kStdout, "more\n", now, lines);
  output.End(Stream::kStdout, lines);
  output.End(Stream::kStderr, lines);
  EXPECT_EQ(TextsOf(lines), (std::vector<std::string>{"out: abc", "err: defg"}));
  EXPECT_EQ(output.output_bytes(), 16u);
  EXPECT_EQ(output.dropped_bytes(), 8u);
  std::optional<OutputLine> note = output.TruncationNote(now);
  ASSERT_TRUE(note.has_value());
  EXPECT_EQ(note->stream, Stream::kNote);
  EXPECT_EQ(note->text, "output truncated: 16 bytes written, 8 kept");
}

TEST(OutputCollectorTest, DropsAHeldBackSecretPrefixAtTheCut) {
  OutputCollector output(9, {"secret"});
  std::vector<OutputLine> lines;
  output.Add(Stream::kStdout, "hello secret\n", Clock::now(), lines);
  output.End(Stream::kStdout, lines);
  // "sec" was kept but could be the start of the secret, whose end was dropped.
  EXPECT_EQ(TextsOf(lines), (std::vector<std::string>{"out: hello "}));
}

}  // namespace
}  // namespace lockstep::exec
