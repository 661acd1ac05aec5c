// registry-api-enhanced: the previous implementation of the people API, the second
// candidate of the handler chain. Everything the integrated handler does (create, read,
// replace, patch, delete, list, ETag/If-Match) with simpler validation and a blocking
// server: good enough to carry the service while a newer build is fixed.
#include <chrono>
#include <ctime>
#include <optional>
#include <regex>

#include "../common/handler_base.h"

using namespace handler_base;

namespace {

std::string Now() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

// Checks a person's fields; returns the errors by field (empty: valid). `type_error` is set
// when a field has the wrong type or is unknown (400) rather than a bad value (422).
Json Validate(const Json& person, bool* type_error) {
  Json errors = Json::object();
  static const std::regex kDate(R"(\d{4}-\d{2}-\d{2})");
  for (const auto& [key, value] : person.items()) {
    if (key == "id" || key == "created_at" || key == "updated_at") continue;  // read-only
    const bool optional = key == "date_of_birth" || key == "address";
    if (!optional && key != "first_name" && key != "last_name" && key != "email") {
      errors[key] = "unknown field";
      *type_error = true;
    } else if (!value.is_string() && !(optional && value.is_null())) {
      errors[key] = "must be a string";
      *type_error = true;
    }
  }
  if (*type_error) return errors;
  for (const char* key : {"first_name", "last_name", "email"}) {
    if (!person.contains(key) || person[key].get<std::string>().empty())
      errors[key] = "is required";
  }
  if (!errors.contains("email") &&
      person["email"].get<std::string>().find('@') == std::string::npos) {
    errors["email"] = "must be an email address";
  }
  if (person.contains("date_of_birth") && person["date_of_birth"].is_string() &&
      !std::regex_match(person["date_of_birth"].get<std::string>(), kDate)) {
    errors["date_of_birth"] = "must be a date, YYYY-MM-DD";
  }
  return errors;
}

void BindOptional(sqlite3_stmt* stmt, int index, const Json& person, const char* key) {
  if (person.contains(key) && person[key].is_string()) {
    sqlite3_bind_text(stmt, index, person[key].get<std::string>().c_str(), -1, SQLITE_TRANSIENT);
  } else {
    sqlite3_bind_null(stmt, index);
  }
}

// "\"3\"" -> 3; nullopt when there is no If-Match header; -1 when it names no version.
std::optional<long long> IfMatch(const Request& request) {
  auto header = request.find(http::field::if_match);
  if (header == request.end()) return std::nullopt;
  std::string value(header->value());
  if (value.size() < 3 || value.front() != '"' || value.back() != '"') return -1;
  try {
    return std::stoll(value.substr(1, value.size() - 2));
  } catch (const std::exception&) {
    return -1;
  }
}

// Writes `person` (validated) as a new row, or over row `id` when id > 0.
Response Write(sqlite3* db, const Request& request, const Json& person, long long id) {
  bool type_error = false;
  Json errors = Validate(person, &type_error);
  if (!errors.empty()) {
    return Reply(request,
                 type_error ? http::status::bad_request : http::status::unprocessable_entity,
                 {{"error", {{"message", "invalid person"}, {"fields", errors}}}});
  }
  const std::string now = Now();
  std::optional<long long> expected = IfMatch(request);
  Statement write(db, id == 0 ? std::string("INSERT INTO people (first_name, last_name, email, "
                                            "date_of_birth, address, created_at, updated_at, "
                                            "version) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, 1) "
                                            "RETURNING ") +
                                    kColumns
                              : std::string("UPDATE people SET first_name = ?1, last_name = ?2, "
                                            "email = ?3, date_of_birth = ?4, address = ?5, "
                                            "updated_at = ?6, version = version + 1 WHERE id = ?7 "
                                            "AND (?8 IS NULL OR version = ?8) RETURNING ") +
                                    kColumns);
  for (int index = 1; const char* key : {"first_name", "last_name", "email"}) {
    sqlite3_bind_text(write.stmt, index++, person[key].get<std::string>().c_str(), -1,
                      SQLITE_TRANSIENT);
  }
  BindOptional(write.stmt, 4, person, "date_of_birth");
  BindOptional(write.stmt, 5, person, "address");
  sqlite3_bind_text(write.stmt, 6, now.c_str(), -1, SQLITE_TRANSIENT);
  if (id != 0) {
    sqlite3_bind_int64(write.stmt, 7, id);
    if (expected) sqlite3_bind_int64(write.stmt, 8, *expected);
  }
  int rc = sqlite3_step(write.stmt);
  if (rc == SQLITE_ROW) {
    Response response =
        Reply(request, id == 0 ? http::status::created : http::status::ok, RowToJson(write.stmt));
    response.set(http::field::etag, ETag(write.stmt));
    if (id == 0) {
      response.set(http::field::location,
                   "/people/" + std::to_string(sqlite3_column_int64(write.stmt, 0)));
    }
    return response;
  }
  if (sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_UNIQUE) {
    return Error(request, http::status::conflict, "the email belongs to another person");
  }
  if (rc == SQLITE_DONE) {  // nothing updated: a missing person, or a stale version
    Response current = GetPerson(db, request, id);
    return current.result() == http::status::ok ? Error(request, http::status::precondition_failed,
                                                        "If-Match is not the current ETag")
                                                : current;
  }
  return Error(request, http::status::service_unavailable, "data store unavailable");
}

Response Delete(sqlite3* db, const Request& request, long long id) {
  std::optional<long long> expected = IfMatch(request);
  Statement remove(db, "DELETE FROM people WHERE id = ?1 AND (?2 IS NULL OR version = ?2)");
  sqlite3_bind_int64(remove.stmt, 1, id);
  if (expected) sqlite3_bind_int64(remove.stmt, 2, *expected);
  if (sqlite3_step(remove.stmt) != SQLITE_DONE) {
    return Error(request, http::status::service_unavailable, "data store unavailable");
  }
  if (sqlite3_changes(db) == 1) {
    Response response(http::status::no_content, request.version());
    response.keep_alive(false);
    response.prepare_payload();
    return response;
  }
  Response current = GetPerson(db, request, id);
  return current.result() == http::status::ok
             ? Error(request, http::status::precondition_failed, "If-Match is not the current ETag")
             : current;
}

Response Handle(sqlite3* db, const Request& request) {
  const std::string_view path = PathOf(request);
  const http::verb method = request.method();
  const long long id = PersonId(path);
  if (path == "/health" && method == http::verb::get) return Health(db, request);
  if (path == "/people" && method == http::verb::get) return ListPeople(db, request);
  if (id != 0 && method == http::verb::get) return GetPerson(db, request, id);
  if (id != 0 && method == http::verb::delete_) return Delete(db, request, id);
  const bool create = path == "/people" && method == http::verb::post;
  const bool replace = id != 0 && method == http::verb::put;
  const bool patch = id != 0 && method == http::verb::patch;
  if (!create && !replace && !patch) {
    return path == "/health" || path == "/people" || id != 0
               ? Error(request, http::status::method_not_allowed, "method not allowed")
               : Error(request, http::status::not_found, "no such route");
  }
  Json body = Json::parse(request.body(), nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    return Error(request, http::status::bad_request, "the body must be a JSON object");
  }
  if (patch) {
    Response current = GetPerson(db, request, id);
    if (current.result() != http::status::ok) return current;
    Json merged = Json::parse(current.body());
    merged.merge_patch(body);  // JSON merge patch: null removes a field
    body = merged;
  }
  return Write(db, request, body, create ? 0 : id);
}

}  // namespace

int main() { return Serve("registry-api-enhanced", Handle); }
