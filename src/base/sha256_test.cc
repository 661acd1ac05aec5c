#include "base/sha256.h"

#include <gtest/gtest.h>

namespace lockstep {
namespace {

TEST(Sha256Test, ResetStartsANewMessageOnTheSameObject) {
  Sha256 hasher;
  hasher.Update("ab");
  hasher.Update("c");
  EXPECT_EQ(ToHex(hasher.Finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  hasher.Reset();
  hasher.Update("abc");
  EXPECT_EQ(ToHex(hasher.Finish()),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  hasher.Reset();
  EXPECT_EQ(ToHex(hasher.Finish()), Sha256Hex(""));
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace lockstep
