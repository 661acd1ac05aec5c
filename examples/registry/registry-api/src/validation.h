// Turning a request body into PersonFields: type errors (400) are kept apart from
// values that are well-typed but invalid (422), and every bad field is named.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "person.h"

namespace registry {

// Field name -> what is wrong with it, e.g. {"email", "must be an email address"}.
using FieldErrors = std::map<std::string, std::string>;

struct Validation {
  FieldErrors type_errors;   // wrong JSON types or unknown fields: 400
  FieldErrors value_errors;  // missing or invalid values: 422
  bool ok() const { return type_errors.empty() && value_errors.empty(); }
};

// Reads a full person (POST, PUT) from `body`, which must be a JSON object. `id`,
// `created_at` and `updated_at` are ignored, so that a client may send back what it read.
// `today` bounds date_of_birth.
Validation ParseFields(const nlohmann::json& body, std::chrono::year_month_day today,
                       PersonFields* out);

// Applies a JSON merge patch (RFC 7386, flat object) to `current` and validates the result:
// present members replace, null clears an optional field, absent members are kept.
Validation PatchFields(const nlohmann::json& patch, std::chrono::year_month_day today,
                       PersonFields* current);

// True for YYYY-MM-DD naming a day that exists.
bool IsCalendarDate(const std::string& text, std::chrono::year_month_day* out);
bool IsEmailAddress(const std::string& text);

}  // namespace registry
