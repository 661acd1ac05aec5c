// libFuzzer target: any bytes as a step's Run text. Replacing workflow references for the
// shell must never crash, and must never put a value into the text: every reference it
// replaces becomes an expansion of a variable, so no byte of the value can appear.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "engine/substitute.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto variable_for = [](std::string_view) -> std::optional<std::string> { return "V"; };
  std::string shell = lockstep::engine::SubstituteForShell(text, variable_for);
  // The only text added is "${V}" (and quotes around it), so nothing that was not a reference
  // grows the output by more than that.
  size_t references = lockstep::engine::FindReferences(text).size();
  if (shell.size() > text.size() + references * 6) std::abort();
  (void)lockstep::engine::SubstituteReferences(text, variable_for);
  return 0;
}
