#include "yaml/scalar_json.h"

#include <nlohmann/json.hpp>

namespace lockstep::yaml {

std::string ScalarAsJson(const Node& node) {
  using nlohmann::json;
  if (node.IsNull()) return "null";
  switch (node.scalar_type()) {
    case ScalarType::kNull:
      return "null";
    case ScalarType::kBool:
      // The core schema's spellings: true, True, TRUE (and the same for false).
      return node.value == "true" || node.value == "True" || node.value == "TRUE" ? "true"
                                                                                  : "false";
    case ScalarType::kInteger:
    case ScalarType::kFloat: {
      json number = json::parse(node.value, nullptr, /*allow_exceptions=*/false);
      if (number.is_number()) return number.dump();
      break;
    }
    case ScalarType::kString:
      break;
  }
  return json(node.value).dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace lockstep::yaml
