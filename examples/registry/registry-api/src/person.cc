#include "person.h"

namespace registry {

namespace {

nlohmann::json OptionalToJson(const std::optional<std::string>& value) {
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json ToJson(const Person& person) {
  return {
      {"id", person.id},
      {"first_name", person.fields.first_name},
      {"last_name", person.fields.last_name},
      {"email", person.fields.email},
      {"date_of_birth", OptionalToJson(person.fields.date_of_birth)},
      {"address", OptionalToJson(person.fields.address)},
      {"created_at", person.created_at},
      {"updated_at", person.updated_at},
  };
}

std::string ETagOf(std::int64_t version) {
  // Appended piecewise: `"\"" + to_string(...) + "\""` trips a false -Wrestrict in g++ 12.
  std::string etag = "\"";
  etag += std::to_string(version);
  etag += '"';
  return etag;
}

}  // namespace registry
