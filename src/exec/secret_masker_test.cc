#include "exec/secret_masker.h"

#include <gtest/gtest.h>

namespace lockstep::exec {
namespace {

// Feeds `text` in two chunks split at `at` and flushes.
std::string FeedSplit(const std::vector<std::string>& secrets, std::string_view text, size_t at) {
  SecretMasker masker(secrets);
  std::string out = masker.Feed(text.substr(0, at));
  out += masker.Feed(text.substr(at));
  return out + masker.Flush();
}

TEST(SecretMaskerTest, MasksEveryOccurrence) {
  SecretMasker masker({"hunter2"});
  EXPECT_EQ(masker.Mask("pass=hunter2, again hunter2."), "pass=***, again ***.");
  EXPECT_EQ(masker.Mask("hunter"), "hunter");
}

TEST(SecretMaskerTest, IgnoresEmptyValues) {
  SecretMasker masker({"", ""});
  EXPECT_TRUE(masker.empty());
  EXPECT_EQ(masker.Mask("anything"), "anything");
  EXPECT_EQ(masker.Feed("anything"), "anything");
  EXPECT_EQ(masker.Flush(), "");
}

TEST(SecretMaskerTest, MasksASecretSplitAtEveryPosition) {
  std::string text = "token: s3cr3t-value; done";
  for (size_t at = 0; at <= text.size(); ++at) {
    EXPECT_EQ(FeedSplit({"s3cr3t-value"}, text, at), "token: ***; done") << "split at " << at;
  }
}

TEST(SecretMaskerTest, MasksTheUnionOfOverlappingSecrets) {
  std::vector<std::string> secrets = {"abcd", "cdef"};
  EXPECT_EQ(SecretMasker(secrets).Mask("xxabcdefyy"), "xx***yy");
  // Touching secrets are one run too.
  EXPECT_EQ(SecretMasker({"abcd", "efgh"}).Mask("abcdefgh abcd"), "*** ***");
  // A secret that overlaps itself.
  EXPECT_EQ(SecretMasker({"aa"}).Mask("baaab"), "b***b");
  std::string text = "xxabcdefyy";
  for (size_t at = 0; at <= text.size(); ++at) {
    EXPECT_EQ(FeedSplit(secrets, text, at), "xx***yy") << "split at " << at;
  }
}

TEST(SecretMaskerTest, StreamingMatchesMaskingTheWholeText) {
  std::vector<std::string> secrets = {"abab", "bac", "cc"};
  std::string text = "ababacc abab ba cab abac ccc ab";
  std::string whole = SecretMasker(secrets).Mask(text);
  for (size_t first = 0; first <= text.size(); ++first) {
    for (size_t second = first; second <= text.size(); ++second) {
      SecretMasker masker(secrets);
      std::string out = masker.Feed(text.substr(0, first));
      out += masker.Feed(text.substr(first, second - first));
      out += masker.Feed(text.substr(second));
      EXPECT_EQ(out + masker.Flush(), whole) << first << " " << second;
    }
  }
}

TEST(SecretMaskerTest, EmitsWhatCannotBeASecretAtOnce) {
  SecretMasker masker({"secret"});
  EXPECT_EQ(masker.Feed("hello "), "hello ");
  EXPECT_EQ(masker.Feed("world se"), "world ");
  EXPECT_EQ(masker.Feed("cre"), "");
  EXPECT_EQ(masker.Feed("tion\n"), "***ion\n");
  EXPECT_EQ(masker.Feed("a sec"), "a ");
  EXPECT_EQ(masker.Flush(), "sec");
  EXPECT_EQ(masker.Flush(), "");
}

TEST(SecretMaskerTest, MasksTheLinesOfAMultiLineSecret) {
  SecretMasker masker({"-----BEGIN KEY-----\r\nMIIEabc\nxyz\n-----END KEY-----"});
  EXPECT_EQ(masker.Mask("-----BEGIN KEY-----\r\nMIIEabc\nxyz\n-----END KEY-----"), "***");
  // Printed one line at a time; the three-byte line is too short to mask on its own.
  EXPECT_EQ(masker.Mask("-----BEGIN KEY-----\nMIIEabc\nxyz\n"), "***\n***\nxyz\n");
  std::string text = "key: MIIEabc\n";
  for (size_t at = 0; at <= text.size(); ++at) {
    EXPECT_EQ(FeedSplit({"MIIEabc\nxyz"}, text, at), "key: ***\n") << "split at " << at;
  }
}

}  // namespace
}  // namespace lockstep::exec
