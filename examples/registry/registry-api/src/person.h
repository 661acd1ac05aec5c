// A person as the registry stores it, and its JSON form.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace registry {

// The fields a client may write. Optional fields are absent (nullopt) when unset.
struct PersonFields {
  std::string first_name;
  std::string last_name;
  std::string email;
  std::optional<std::string> date_of_birth;  // YYYY-MM-DD
  std::optional<std::string> address;
};

// A stored person: the client's fields plus what the store owns. `version` grows by one on
// every write and is the person's ETag, so that If-Match can detect lost updates.
struct Person {
  std::int64_t id = 0;
  PersonFields fields;
  std::string created_at;  // ISO-8601 UTC, e.g. 2026-12-05T03:19:28Z
  std::string updated_at;
  std::int64_t version = 0;
};

// The JSON object returned to clients; unset optional fields are null.
nlohmann::json ToJson(const Person& person);

// The quoted strong ETag of a version: "\"3\"".
std::string ETagOf(std::int64_t version);

}  // namespace registry
