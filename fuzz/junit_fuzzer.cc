// libFuzzer target: any bytes as a JUnit report, which a step writes and lockstep reads. The
// parser must return counts or an error with a location, never crash, hang or leak.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/junit.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto counts = lockstep::engine::ParseJUnit(text, "fuzz.xml");
  if (!counts) (void)counts.error().ToString();
  return 0;
}
