#include "engine/substitute.h"

#include "base/strings.h"
#include "workflow/references.h"

namespace lockstep::engine {

std::string SubstituteReferences(
    std::string_view text,
    const std::function<std::optional<std::string>(std::string_view reference)>& resolve) {
  std::string out;
  size_t done = 0;
  for (size_t start = text.find("${"); start != std::string_view::npos;
       start = text.find("${", start + 2)) {
    size_t end = text.find('}', start + 2);
    if (end == std::string_view::npos) break;
    std::string_view reference = text.substr(start + 2, end - start - 2);
    if (!workflow::IsWorkflowReference(reference)) continue;
    std::optional<std::string> value = resolve(reference);
    if (!value) continue;
    out.append(text.substr(done, start - done));
    out.append(*value);
    done = end + 1;
    start = end - 1;  // the loop adds 2: continue right after the '}'
  }
  out.append(text.substr(done));
  return out;
}

std::string_view SecretName(std::string_view reference) {
  if (reference.size() <= 8 || AsciiLower(reference.substr(0, 8)) != "secrets.") return {};
  return reference.substr(8);
}

std::string SecretVariable(std::string_view secret_name) {
  std::string name = "LOCKSTEP_SECRET_";
  for (char c : secret_name) name += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return name;
}

}  // namespace lockstep::engine
