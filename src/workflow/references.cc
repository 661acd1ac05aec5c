#include "workflow/references.h"

namespace lockstep::workflow {
namespace {

bool SegmentChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '@';
}

// True for `A.B` and `A.B.C` shapes: segments of name characters joined by single dots.
bool IsDottedName(std::string_view text) {
  bool dot = false;
  bool segment = false;
  for (char c : text) {
    if (c == '.') {
      if (!segment) return false;
      dot = true;
      segment = false;
    } else if (SegmentChar(c)) {
      segment = true;
    } else {
      return false;
    }
  }
  return dot && segment;
}

bool StartsWithSecrets(std::string_view text) {
  if (text.size() < 7) return false;
  for (size_t i = 0; i < 7; ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != "secrets"[i]) return false;
  }
  return text.size() == 7 || !SegmentChar(text[7]) || text[7] == '.';
}

void ScanScalar(const yaml::Node& scalar, const Checker& checker, std::vector<Reference>& out) {
  const std::string& value = scalar.value;
  for (size_t start = value.find("${"); start != std::string::npos;
       start = value.find("${", start + 2)) {
    size_t end = value.find('}', start + 2);
    if (end == std::string::npos) return;
    std::string text = value.substr(start + 2, end - start - 2);
    if (!IsWorkflowReference(text)) continue;
    Mark mark = checker.PositionInScalar(scalar, start, "${" + text + "}");
    out.push_back({std::move(text), mark});
  }
}

}  // namespace

bool IsWorkflowReference(std::string_view text) {
  return IsDottedName(text) || StartsWithSecrets(text);
}

void CollectReferences(const yaml::Node& node, const Checker& checker,
                       std::vector<Reference>& out) {
  switch (node.kind) {
    case yaml::NodeKind::kScalar:
      ScanScalar(node, checker, out);
      break;
    case yaml::NodeKind::kSequence:
      for (const yaml::Node& item : node.items) CollectReferences(item, checker, out);
      break;
    case yaml::NodeKind::kMap:
      for (const yaml::MapEntry& entry : node.entries) CollectReferences(entry.value, checker, out);
      break;
    case yaml::NodeKind::kNull:
      break;
  }
}

}  // namespace lockstep::workflow
