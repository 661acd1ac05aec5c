// libFuzzer target: any bytes as a workflow file. The parser and validator must return
// diagnostics, never crash, hang or leak, whatever the input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/diagnostic.h"
#include "workflow/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto result = lockstep::workflow::LoadWorkflow(text, "fuzz.yaml");
  // Rendering reads the source around each diagnostic's position: exercise it too.
  for (const auto& diagnostic : result.diagnostics.items()) {
    (void)lockstep::RenderDiagnostic(diagnostic, text, {});
  }
  return 0;
}
