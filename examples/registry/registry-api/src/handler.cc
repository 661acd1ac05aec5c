#include "handler.h"

#include <boost/beast/http/field.hpp>
#include <charconv>
#include <ctime>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "validation.h"

namespace registry {

namespace {

using nlohmann::json;

constexpr int kDefaultLimit = 20;
constexpr int kMaxLimit = 100;

Response JsonResponse(const Request& request, http::status status, const json& body) {
  Response response(status, request.version());
  response.set(http::field::content_type, "application/json");
  response.keep_alive(request.keep_alive());
  response.body() = body.dump();
  response.prepare_payload();
  return response;
}

Response ErrorResponse(const Request& request, http::status status, const std::string& message,
                       const FieldErrors& fields = {}) {
  json error = {{"message", message}};
  if (!fields.empty()) error["fields"] = fields;
  return JsonResponse(request, status, {{"error", error}});
}

Response MethodNotAllowed(const Request& request, const char* allow) {
  Response response = ErrorResponse(request, http::status::method_not_allowed,
                                    std::string(request.method_string()) + " is not allowed here");
  response.set(http::field::allow, allow);
  return response;
}

Response PersonResponse(const Request& request, http::status status, const Person& person) {
  Response response = JsonResponse(request, status, ToJson(person));
  response.set(http::field::etag, ETagOf(person.version));
  return response;
}

// The cause goes to the log, not to the client: SQLite's messages describe the server.
Response StoreFailure(const Request& request, const Store& store) {
  std::cerr << "registry-api: data store failed: " << store.LastError() << "\n";
  return ErrorResponse(request, http::status::service_unavailable, "data store unavailable");
}

Response InvalidFields(const Request& request, const Validation& validation) {
  if (!validation.type_errors.empty()) {
    return ErrorResponse(request, http::status::bad_request, "request body has wrong types",
                         validation.type_errors);
  }
  return ErrorResponse(request, http::status::unprocessable_entity, "person is invalid",
                       validation.value_errors);
}

std::string Iso8601(std::chrono::system_clock::time_point time) {
  std::time_t seconds = std::chrono::system_clock::to_time_t(time);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
  return text;
}

std::chrono::year_month_day Today(std::chrono::system_clock::time_point time) {
  return std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(time));
}

std::optional<std::int64_t> ParseInt(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes a query component: '+' is a space, %XX a byte; a broken escape is kept as is.
std::string DecodeComponent(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && HexValue(text[i + 1]) >= 0 &&
               HexValue(text[i + 2]) >= 0) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<std::string> QueryParam(std::string_view query, std::string_view name) {
  while (!query.empty()) {
    std::size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    std::size_t eq = pair.find('=');
    if (DecodeComponent(pair.substr(0, eq)) == name) {
      return eq == std::string_view::npos ? "" : DecodeComponent(pair.substr(eq + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// Reads a whole-number query parameter within [min, max] into `out`, or notes the error.
void IntParam(std::string_view query, const char* name, int min, int max, int* out,
              FieldErrors* errors) {
  std::optional<std::string> text = QueryParam(query, name);
  if (!text) return;
  std::optional<std::int64_t> value = ParseInt(*text);
  if (!value || *value < min || *value > max) {
    (*errors)[name] =
        "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max);
    return;
  }
  *out = static_cast<int>(*value);
}

// Whether the If-Match header admits `version`: absent, "*", or a list naming its ETag.
// Weak tags never match: If-Match uses strong comparison (RFC 9110 13.1.1).
bool IfMatchAdmits(const Request& request, std::int64_t version) {
  auto it = request.find(http::field::if_match);
  if (it == request.end()) return true;
  std::string_view header(it->value().data(), it->value().size());
  const std::string etag = ETagOf(version);
  while (!header.empty()) {
    std::size_t comma = header.find(',');
    std::string_view tag = header.substr(0, comma);
    while (!tag.empty() && tag.front() == ' ') tag.remove_prefix(1);
    while (!tag.empty() && tag.back() == ' ') tag.remove_suffix(1);
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return false;
}

bool HasIfMatch(const Request& request) {
  return request.find(http::field::if_match) != request.end();
}

Response PreconditionFailed(const Request& request, const Person& current) {
  Response response =
      ErrorResponse(request, http::status::precondition_failed,
                    "If-Match does not match the current ETag " + ETagOf(current.version));
  response.set(http::field::etag, ETagOf(current.version));
  return response;
}

Response NotFound(const Request& request, std::int64_t id) {
  return ErrorResponse(request, http::status::not_found, "no person with id " + std::to_string(id));
}

Response DuplicateEmail(const Request& request, const std::string& email) {
  return ErrorResponse(request, http::status::conflict,
                       "another person already has the email " + email,
                       {{"email", "is already in use"}});
}

// Parses the body as JSON, or returns the 400 to send.
std::optional<Response> ParseBody(const Request& request, json* out) {
  try {
    *out = json::parse(request.body());
    return std::nullopt;
  } catch (const json::parse_error& error) {
    return ErrorResponse(request, http::status::bad_request,
                         std::string("request body is not valid JSON: ") + error.what());
  }
}

}  // namespace

Handler::Handler(Store* store, Clock clock) : store_(store), clock_(std::move(clock)) {}

Response Handler::Handle(const Request& request) {
  if (request.body().size() > kMaxBodyBytes) {
    return ErrorResponse(request, http::status::payload_too_large,
                         "request body is larger than 64 KiB");
  }
  std::string_view target(request.target().data(), request.target().size());
  std::size_t question = target.find('?');
  std::string_view path = target.substr(0, question);
  std::string_view query =
      question == std::string_view::npos ? std::string_view() : target.substr(question + 1);

  if (path == "/health") {
    if (request.method() != http::verb::get) return MethodNotAllowed(request, "GET");
    return Health(request);
  }
  if (path == "/people") {
    switch (request.method()) {
      case http::verb::get:
        return ListPeople(request, query);
      case http::verb::post:
        return CreatePerson(request);
      default:
        return MethodNotAllowed(request, "GET, POST");
    }
  }
  constexpr std::string_view kPeoplePrefix = "/people/";
  if (path.starts_with(kPeoplePrefix)) {
    std::optional<std::int64_t> id = ParseInt(path.substr(kPeoplePrefix.size()));
    if (!id || *id <= 0) {
      return ErrorResponse(request, http::status::not_found, "no person at " + std::string(path));
    }
    switch (request.method()) {
      case http::verb::get:
        return GetPerson(request, *id);
      case http::verb::put:
      case http::verb::patch:
        return WritePerson(request, *id);
      case http::verb::delete_:
        return DeletePerson(request, *id);
      default:
        return MethodNotAllowed(request, "GET, PUT, PATCH, DELETE");
    }
  }
  return ErrorResponse(request, http::status::not_found, "no route for " + std::string(path));
}

Response Handler::Health(const Request& request) {
  if (!store_->Healthy()) {
    std::cerr << "registry-api: health check: " << store_->LastError() << "\n";
    return JsonResponse(request, http::status::service_unavailable, {{"status", "unavailable"}});
  }
  return JsonResponse(request, http::status::ok, {{"status", "ok"}});
}

Response Handler::ListPeople(const Request& request, std::string_view query) {
  ListQuery list;
  list.limit = kDefaultLimit;
  FieldErrors errors;
  IntParam(query, "limit", 1, kMaxLimit, &list.limit, &errors);
  IntParam(query, "offset", 0, std::numeric_limits<int>::max(), &list.offset, &errors);
  if (!errors.empty()) {
    return ErrorResponse(request, http::status::bad_request, "query parameters are invalid",
                         errors);
  }
  list.name = QueryParam(query, "name").value_or("");
  ListResult result;
  if (store_->List(list, &result) != StoreStatus::kOk) return StoreFailure(request, *store_);
  json items = json::array();
  for (const Person& person : result.items) items.push_back(ToJson(person));
  return JsonResponse(
      request, http::status::ok,
      {{"items", items}, {"total", result.total}, {"limit", list.limit}, {"offset", list.offset}});
}

Response Handler::CreatePerson(const Request& request) {
  json body;
  if (auto error = ParseBody(request, &body)) return *error;
  const auto now = clock_();
  PersonFields fields;
  Validation validation = ParseFields(body, Today(now), &fields);
  if (!validation.ok()) return InvalidFields(request, validation);
  Person person;
  switch (store_->Create(fields, Iso8601(now), &person)) {
    case StoreStatus::kOk:
      break;
    case StoreStatus::kDuplicateEmail:
      return DuplicateEmail(request, fields.email);
    default:
      return StoreFailure(request, *store_);
  }
  Response response = PersonResponse(request, http::status::created, person);
  response.set(http::field::location, "/people/" + std::to_string(person.id));
  return response;
}

Response Handler::GetPerson(const Request& request, std::int64_t id) {
  Person person;
  switch (store_->Get(id, &person)) {
    case StoreStatus::kOk:
      return PersonResponse(request, http::status::ok, person);
    case StoreStatus::kNotFound:
      return NotFound(request, id);
    default:
      return StoreFailure(request, *store_);
  }
}

std::optional<Response> Handler::LoadForWrite(const Request& request, std::int64_t id,
                                              Person* current) {
  switch (store_->Get(id, current)) {
    case StoreStatus::kOk:
      break;
    case StoreStatus::kNotFound:
      return NotFound(request, id);
    default:
      return StoreFailure(request, *store_);
  }
  if (!IfMatchAdmits(request, current->version)) return PreconditionFailed(request, *current);
  return std::nullopt;
}

Response Handler::WritePerson(const Request& request, std::int64_t id) {
  json body;
  if (auto error = ParseBody(request, &body)) return *error;
  Person current;
  if (auto refused = LoadForWrite(request, id, &current)) return *refused;

  const auto now = clock_();
  PersonFields fields = current.fields;
  Validation validation = request.method() == http::verb::patch
                              ? PatchFields(body, Today(now), &fields)
                              : ParseFields(body, Today(now), &fields);
  if (!validation.ok()) return InvalidFields(request, validation);

  // The version read above is passed on when the client sent If-Match, so that a write
  // landing between our read and our update still fails with 412 rather than being lost.
  std::optional<std::int64_t> expected;
  if (HasIfMatch(request)) expected = current.version;
  Person updated;
  switch (store_->Update(id, fields, expected, Iso8601(now), &updated)) {
    case StoreStatus::kOk:
      return PersonResponse(request, http::status::ok, updated);
    case StoreStatus::kNotFound:
      return NotFound(request, id);
    case StoreStatus::kVersionMismatch:
      store_->Get(id, &current);
      return PreconditionFailed(request, current);
    case StoreStatus::kDuplicateEmail:
      return DuplicateEmail(request, fields.email);
    default:
      return StoreFailure(request, *store_);
  }
}

Response Handler::DeletePerson(const Request& request, std::int64_t id) {
  Person current;
  if (auto refused = LoadForWrite(request, id, &current)) return *refused;
  std::optional<std::int64_t> expected;
  if (HasIfMatch(request)) expected = current.version;
  switch (store_->Delete(id, expected)) {
    case StoreStatus::kOk: {
      Response response(http::status::no_content, request.version());
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      return response;
    }
    case StoreStatus::kNotFound:
      return NotFound(request, id);
    case StoreStatus::kVersionMismatch:
      store_->Get(id, &current);
      return PreconditionFailed(request, current);
    default:
      return StoreFailure(request, *store_);
  }
}

}  // namespace registry
