#include "validation.h"

#include <algorithm>
#include <cctype>
#include <optional>

namespace registry {

namespace {

constexpr std::size_t kMaxNameLength = 100;
constexpr std::size_t kMaxEmailLength = 254;
constexpr std::size_t kMaxAddressLength = 500;

const char* const kReadOnly[] = {"id", "created_at", "updated_at"};
const char* const kWritable[] = {"first_name", "last_name", "email", "date_of_birth", "address"};

bool IsOneOf(const std::string& key, const auto& names) {
  return std::find(std::begin(names), std::end(names), key) != std::end(names);
}

bool IsBlank(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isspace(c) != 0; });
}

// Every member of `body` must be a known field; writable fields must be strings (or null).
void CheckTypes(const nlohmann::json& body, Validation* result) {
  for (const auto& [key, value] : body.items()) {
    if (IsOneOf(key, kReadOnly)) continue;
    if (!IsOneOf(key, kWritable)) {
      result->type_errors[key] = "is not a field of a person";
    } else if (!value.is_string() && !value.is_null()) {
      result->type_errors[key] = "must be a string";
    }
  }
}

void CheckName(const char* field, const std::string& value, Validation* result) {
  if (IsBlank(value)) {
    result->value_errors[field] = "is required";
  } else if (value.size() > kMaxNameLength) {
    result->value_errors[field] = "must be at most 100 characters";
  }
}

// Checks the values of a complete set of fields.
void CheckValues(const PersonFields& fields, std::chrono::year_month_day today,
                 Validation* result) {
  CheckName("first_name", fields.first_name, result);
  CheckName("last_name", fields.last_name, result);
  if (IsBlank(fields.email)) {
    result->value_errors["email"] = "is required";
  } else if (!IsEmailAddress(fields.email)) {
    result->value_errors["email"] = "must be an email address";
  }
  if (fields.date_of_birth) {
    std::chrono::year_month_day date;
    if (!IsCalendarDate(*fields.date_of_birth, &date)) {
      result->value_errors["date_of_birth"] = "must be a date as YYYY-MM-DD";
    } else if (std::chrono::sys_days(date) > std::chrono::sys_days(today)) {
      result->value_errors["date_of_birth"] = "must not be in the future";
    }
  }
  if (fields.address && fields.address->size() > kMaxAddressLength) {
    result->value_errors["address"] = "must be at most 500 characters";
  }
}

// Sets `target` from member `key` of `body` when present; a type error was already noted.
void Take(const nlohmann::json& body, const char* key, std::string* target) {
  auto it = body.find(key);
  if (it == body.end()) return;
  *target = it->is_string() ? it->get<std::string>() : "";
}

void Take(const nlohmann::json& body, const char* key, std::optional<std::string>* target) {
  auto it = body.find(key);
  if (it == body.end()) return;
  if (it->is_string()) {
    *target = it->get<std::string>();
  } else {
    target->reset();
  }
}

void TakeAll(const nlohmann::json& body, PersonFields* fields) {
  Take(body, "first_name", &fields->first_name);
  Take(body, "last_name", &fields->last_name);
  Take(body, "email", &fields->email);
  Take(body, "date_of_birth", &fields->date_of_birth);
  Take(body, "address", &fields->address);
}

Validation ParseInto(const nlohmann::json& body, std::chrono::year_month_day today,
                     PersonFields* fields) {
  Validation result;
  if (!body.is_object()) {
    result.type_errors["body"] = "must be a JSON object";
    return result;
  }
  CheckTypes(body, &result);
  if (!result.type_errors.empty()) return result;
  TakeAll(body, fields);
  CheckValues(*fields, today, &result);
  return result;
}

}  // namespace

Validation ParseFields(const nlohmann::json& body, std::chrono::year_month_day today,
                       PersonFields* out) {
  PersonFields fields;
  Validation result = ParseInto(body, today, &fields);
  if (result.ok()) *out = std::move(fields);
  return result;
}

Validation PatchFields(const nlohmann::json& patch, std::chrono::year_month_day today,
                       PersonFields* current) {
  PersonFields merged = *current;
  Validation result = ParseInto(patch, today, &merged);
  if (result.ok()) *current = std::move(merged);
  return result;
}

bool IsCalendarDate(const std::string& text, std::chrono::year_month_day* out) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return false;
  }
  std::chrono::year_month_day date{std::chrono::year(std::stoi(text.substr(0, 4))),
                                   std::chrono::month(std::stoul(text.substr(5, 2))),
                                   std::chrono::day(std::stoul(text.substr(8, 2)))};
  if (!date.ok()) return false;
  *out = date;
  return true;
}

bool IsEmailAddress(const std::string& text) {
  // Deliberately loose (one '@', a dotted domain, no spaces): the only real check of an
  // address is mail reaching it.
  if (text.size() > kMaxEmailLength) return false;
  if (std::any_of(text.begin(), text.end(),
                  [](unsigned char c) { return std::isspace(c) || std::iscntrl(c); })) {
    return false;
  }
  auto at = text.find('@');
  if (at == std::string::npos || at == 0 || text.find('@', at + 1) != std::string::npos) {
    return false;
  }
  std::string domain = text.substr(at + 1);
  auto dot = domain.find('.');
  return dot != std::string::npos && dot != 0 && domain.back() != '.' &&
         domain.find("..") == std::string::npos;
}

}  // namespace registry
