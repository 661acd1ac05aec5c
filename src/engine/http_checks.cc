#include "engine/http_checks.h"

#include <fmt/core.h>

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>
#include <set>

#include "base/duration.h"

namespace lockstep::engine {
namespace {

using Json = nlohmann::ordered_json;

constexpr std::string_view kSuiteKeys[] = {"BaseUrl", "Deadline", "Interval", "Service", "Checks"};
constexpr std::string_view kCheckKeys[] = {"Name",       "Method",     "Path",
                                           "Body",       "Headers",    "ExpectStatus",
                                           "ExpectBody", "ExpectJson", "Capture"};

bool IsVariableName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool IsMethod(std::string_view method) {
  return !method.empty() && std::ranges::all_of(method, [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// Calls visit(start, end, name) for every `${NAME}` in `text`, [start, end) spanning it.
template <class Visit>
void ForEachVariable(std::string_view text, Visit visit) {
  for (size_t i = text.find("${"); i != std::string_view::npos; i = text.find("${", i + 1)) {
    size_t end = text.find('}', i + 2);
    if (end == std::string_view::npos) return;
    std::string_view name = text.substr(i + 2, end - i - 2);
    if (IsVariableName(name)) visit(i, end + 1, name);
  }
}

std::string PercentEncode(std::string_view value) {
  std::string out;
  for (char c : value) {
    bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += c;
    } else {
      out += fmt::format("%{:02X}", static_cast<unsigned char>(c));
    }
  }
  return out;
}

Result<std::string> Substitute(std::string_view text, const Variables& variables, bool encode) {
  std::string out;
  size_t done = 0;
  std::string missing;
  ForEachVariable(text, [&](size_t start, size_t end, std::string_view name) {
    auto it = variables.find(name);
    if (it == variables.end()) {
      if (missing.empty()) missing = name;
      return;
    }
    out.append(text.substr(done, start - done));
    out.append(encode ? PercentEncode(it->second) : it->second);
    done = end;
  });
  if (!missing.empty()) {
    return Fail(ErrorCode::kInvalidArgument, fmt::format("${{{}}} is not set", missing));
  }
  out.append(text.substr(done));
  return out;
}

// Reads one check, naming it in errors as "check N (LABEL)".
class CheckReader {
 public:
  CheckReader(size_t number, std::set<std::string, std::less<>>& known,
              const std::set<std::string, std::less<>>& given)
      : number_(number), known_(known), given_(given) {}

  Result<HttpCheck> Read(const Json& value) {
    if (!value.is_object()) return Problem("must be an object");
    HttpCheck check;
    // The label is needed for every message, so Name, Method and Path come first.
    if (auto name = OptionalString(value, "Name"); !name) {
      return std::unexpected(name.error());
    } else if (*name) {
      check.name = **name;
    }
    if (auto method = OptionalString(value, "Method"); !method) {
      return std::unexpected(method.error());
    } else if (*method) {
      check.method = **method;
    }
    auto path = OptionalString(value, "Path");
    if (!path) return std::unexpected(path.error());
    if (!*path) return Problem("'Path' is required");
    check.path = **path;
    label_ = check.Label();
    for (const auto& [key, unused] : value.items()) {
      if (std::ranges::find(kCheckKeys, key) == std::end(kCheckKeys)) {
        return Problem(fmt::format("unknown key '{}'", key));
      }
    }
    if (!IsMethod(check.method)) {
      return Problem(fmt::format("'Method' '{}' is not an HTTP method", check.method));
    }
    if (!check.path.starts_with('/')) return Problem("'Path' must start with '/'");
    if (auto body = OptionalString(value, "Body"); !body) {
      return std::unexpected(body.error());
    } else if (*body) {
      check.body = **body;
    }
    if (auto headers = StringMap(value, "Headers"); !headers) {
      return std::unexpected(headers.error());
    } else {
      check.headers = std::move(*headers);
    }
    auto status = value.find("ExpectStatus");
    if (status == value.end()) return Problem("'ExpectStatus' is required");
    if (!status->is_number_integer() || *status < 100 || *status > 599) {
      return Problem("'ExpectStatus' must be a whole number from 100 to 599");
    }
    check.expect_status = status->get<int>();
    if (auto expect = OptionalString(value, "ExpectBody"); !expect) {
      return std::unexpected(expect.error());
    } else {
      check.expect_body = *expect;
    }
    if (auto expect_json = ExpectJson(value); !expect_json) {
      return std::unexpected(expect_json.error());
    } else {
      check.expect_json = std::move(*expect_json);
    }

    // Variables: used ones must be known before this check; captured ones become known after.
    std::vector<std::string_view> texts = {check.path, check.body};
    for (const auto& [name, header] : check.headers) texts.push_back(header);
    if (check.expect_body) texts.push_back(*check.expect_body);
    for (std::string_view text : texts) {
      std::string unknown;
      ForEachVariable(text, [&](size_t, size_t, std::string_view name) {
        if (unknown.empty() && !known_.contains(name)) unknown = name;
      });
      if (!unknown.empty()) {
        return Problem(fmt::format("${{{}}} is not captured by an earlier check", unknown));
      }
    }
    auto captures = StringMap(value, "Capture");
    if (!captures) return std::unexpected(captures.error());
    for (const auto& [variable, pointer] : *captures) {
      if (!IsVariableName(variable)) {
        return Problem(
            fmt::format("'Capture': '{}' is not a variable name (letters, digits and "
                        "'_', not starting with a digit)",
                        variable));
      }
      if (given_.contains(variable)) {
        return Problem(
            fmt::format("'Capture': '{}' is given from outside and cannot be captured", variable));
      }
      if (auto valid = CheckPointer(pointer, "Capture"); !valid) {
        return std::unexpected(valid.error());
      }
    }
    for (const auto& [variable, pointer] : *captures) known_.insert(variable);
    check.captures = std::move(*captures);
    return check;
  }

 private:
  std::unexpected<Error> Problem(std::string_view what) const {
    std::string where = label_.empty() ? fmt::format("check {}", number_)
                                       : fmt::format("check {} ({})", number_, label_);
    return Fail(ErrorCode::kInvalidArgument, fmt::format("{}: {}", where, what));
  }

  Result<std::optional<std::string>> OptionalString(const Json& object, std::string_view key) {
    auto it = object.find(key);
    if (it == object.end()) return std::optional<std::string>();
    if (!it->is_string()) return Problem(fmt::format("'{}' must be a string", key));
    return it->get<std::string>();
  }

  Result<std::vector<NameValue>> StringMap(const Json& object, std::string_view key) {
    std::vector<NameValue> out;
    auto it = object.find(key);
    if (it == object.end()) return out;
    if (!it->is_object()) return Problem(fmt::format("'{}' must be an object", key));
    for (const auto& [name, item] : it->items()) {
      if (!item.is_string()) {
        return Problem(fmt::format("'{}': the value of '{}' must be a string", key, name));
      }
      out.emplace_back(name, item.get<std::string>());
    }
    return out;
  }

  Result<std::vector<NameValue>> ExpectJson(const Json& object) {
    std::vector<NameValue> out;
    auto it = object.find("ExpectJson");
    if (it == object.end()) return out;
    if (!it->is_object()) return Problem("'ExpectJson' must be an object");
    for (const auto& [pointer, expected] : it->items()) {
      if (auto valid = CheckPointer(pointer, "ExpectJson"); !valid) {
        return std::unexpected(valid.error());
      }
      if (expected.is_object() || expected.is_array()) {
        return Problem(fmt::format(
            "'ExpectJson': the value for '{}' must be a string, number, boolean or null", pointer));
      }
      out.emplace_back(pointer, expected.dump());
    }
    return out;
  }

  Result<void> CheckPointer(const std::string& pointer, std::string_view key) {
    try {
      Json::json_pointer parsed(pointer);
    } catch (const Json::exception&) {
      return Problem(fmt::format("'{}': '{}' is not a JSON pointer (like /name or /items/0/id)",
                                 key, pointer));
    }
    return {};
  }

  size_t number_;
  std::set<std::string, std::less<>>& known_;
  const std::set<std::string, std::less<>>& given_;
  std::string label_;
};

Result<std::chrono::milliseconds> ReadDuration(const Json& suite, std::string_view key,
                                               std::chrono::milliseconds fallback) {
  auto it = suite.find(key);
  if (it == suite.end()) return fallback;
  if (!it->is_string()) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' must be a duration such as \"30s\"", key));
  }
  auto parsed = ParseDuration(it->get<std::string>());
  if (!parsed) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}': {}", key, parsed.error().message()));
  }
  return *parsed;
}

bool SameScalar(const Json& expected, const Json& actual) {
  if (!expected.is_number() || !actual.is_number()) return expected == actual;
  if (expected.is_number_float() || actual.is_number_float()) {
    return expected.get<double>() == actual.get<double>();
  }
  // Whole numbers: the parser stores non-negative ones as unsigned, negative ones as signed.
  bool expected_negative = !expected.is_number_unsigned() && expected.get<int64_t>() < 0;
  bool actual_negative = !actual.is_number_unsigned() && actual.get<int64_t>() < 0;
  if (expected_negative != actual_negative) return false;
  if (expected_negative) return expected.get<int64_t>() == actual.get<int64_t>();
  return expected.get<uint64_t>() == actual.get<uint64_t>();
}

// A value from the body, shortened for a message.
std::string Shown(const Json& value) {
  std::string text = value.dump(-1, ' ', false, Json::error_handler_t::replace);
  return BodyExcerpt(text, 100);
}

}  // namespace

std::string HttpCheck::Label() const {
  if (!name.empty()) return name;
  return fmt::format("{} {}", method, path);
}

Result<CheckSuite> ParseCheckSuite(std::string_view json_text,
                                   const std::vector<std::string>& given) {
  Json document;
  try {
    document = Json::parse(json_text);
  } catch (const Json::parse_error& e) {
    // nlohmann's own message is long and internal; the offset is what helps.
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("not valid JSON: syntax error at byte {}", e.byte));
  }
  if (!document.is_object()) {
    return Fail(ErrorCode::kInvalidArgument, "expected a JSON object with 'Checks'");
  }
  for (const auto& [key, unused] : document.items()) {
    if (std::ranges::find(kSuiteKeys, key) == std::end(kSuiteKeys)) {
      return Fail(
          ErrorCode::kInvalidArgument,
          fmt::format("unknown key '{}' (expected BaseUrl, Deadline, Interval or Checks)", key));
    }
  }
  CheckSuite suite;
  if (auto it = document.find("BaseUrl"); it != document.end()) {
    if (!it->is_string()) return Fail(ErrorCode::kInvalidArgument, "'BaseUrl' must be a string");
    suite.base_url = it->get<std::string>();
  }
  auto deadline = ReadDuration(document, "Deadline", suite.deadline);
  if (!deadline) return std::unexpected(deadline.error());
  suite.deadline = *deadline;
  auto interval = ReadDuration(document, "Interval", suite.interval);
  if (!interval) return std::unexpected(interval.error());
  suite.interval = *interval;

  auto checks = document.find("Checks");
  if (checks == document.end() || !checks->is_array() || checks->empty()) {
    return Fail(ErrorCode::kInvalidArgument, "'Checks' must be a list of at least one check");
  }
  std::set<std::string, std::less<>> given_names;
  for (const std::string& name : given) {
    if (!IsVariableName(name)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("'{}' is not a variable name (letters, digits and '_', not starting "
                              "with a digit)",
                              name));
    }
    given_names.insert(name);
  }
  std::set<std::string, std::less<>> known = given_names;
  for (size_t i = 0; i < checks->size(); ++i) {
    CheckReader reader(i + 1, known, given_names);
    Result<HttpCheck> check = reader.Read((*checks)[i]);
    if (!check) return std::unexpected(check.error());
    suite.checks.push_back(std::move(*check));
  }
  return suite;
}

std::string CheckSuiteToJson(const CheckSuite& suite) {
  Json document = Json::object();
  if (!suite.base_url.empty()) document["BaseUrl"] = suite.base_url;
  // In milliseconds: ParseDuration reads whole numbers only, so "1.5s" would not come back.
  document["Deadline"] = fmt::format("{}ms", suite.deadline.count());
  document["Interval"] = fmt::format("{}ms", suite.interval.count());
  Json checks = Json::array();
  for (const HttpCheck& check : suite.checks) {
    Json item = Json::object();
    if (!check.name.empty()) item["Name"] = check.name;
    item["Method"] = check.method;
    item["Path"] = check.path;
    if (!check.body.empty()) item["Body"] = check.body;
    if (!check.headers.empty()) {
      Json headers = Json::object();
      for (const auto& [name, value] : check.headers) headers[name] = value;
      item["Headers"] = std::move(headers);
    }
    item["ExpectStatus"] = check.expect_status;
    if (check.expect_body) item["ExpectBody"] = *check.expect_body;
    if (!check.expect_json.empty()) {
      Json expect = Json::object();
      for (const auto& [pointer, value] : check.expect_json) expect[pointer] = Json::parse(value);
      item["ExpectJson"] = std::move(expect);
    }
    if (!check.captures.empty()) {
      Json captures = Json::object();
      for (const auto& [variable, pointer] : check.captures) captures[variable] = pointer;
      item["Capture"] = std::move(captures);
    }
    checks.push_back(std::move(item));
  }
  document["Checks"] = std::move(checks);
  return document.dump(-1, ' ', false, Json::error_handler_t::replace);
}

Result<CheckRequest> PrepareRequest(const HttpCheck& check, const Variables& variables) {
  CheckRequest request;
  request.method = check.method;
  auto target = Substitute(check.path, variables, /*encode=*/true);
  if (!target) return std::unexpected(target.error());
  request.target = std::move(*target);
  auto body = Substitute(check.body, variables, false);
  if (!body) return std::unexpected(body.error());
  request.body = std::move(*body);
  for (const auto& [name, value] : check.headers) {
    auto substituted = Substitute(value, variables, false);
    if (!substituted) return std::unexpected(substituted.error());
    request.headers.emplace_back(name, std::move(*substituted));
  }
  return request;
}

CheckVerdict EvaluateResponse(const HttpCheck& check, const Variables& variables, int status,
                              std::string_view body) {
  CheckVerdict verdict;
  auto fail = [&](std::string why) {
    verdict.failure = fmt::format("{}; body: {}", why, BodyExcerpt(body));
    return verdict;
  };
  if (status != check.expect_status) {
    return fail(fmt::format("expected status {}, got {}", check.expect_status, status));
  }
  if (check.expect_body) {
    auto expected = Substitute(*check.expect_body, variables, false);
    if (!expected) return fail(expected.error().message());
    if (body.find(*expected) == std::string_view::npos) {
      // As written: a substituted value may be a secret.
      return fail(
          fmt::format("expected the body to contain \"{}\"", BodyExcerpt(*check.expect_body, 100)));
    }
  }
  if (check.expect_json.empty() && check.captures.empty()) {
    verdict.passed = true;
    return verdict;
  }
  Json document = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return fail("expected a JSON body");
  try {
    for (const auto& [pointer, expected_text] : check.expect_json) {
      Json expected = Json::parse(expected_text);
      Json::json_pointer where(pointer);
      if (!document.contains(where)) {
        return fail(fmt::format("expected {} at {}, but the body has nothing there",
                                Shown(expected), pointer));
      }
      const Json& actual = document.at(where);
      if (!SameScalar(expected, actual)) {
        return fail(
            fmt::format("expected {} at {}, found {}", Shown(expected), pointer, Shown(actual)));
      }
    }
    for (const auto& [variable, pointer] : check.captures) {
      Json::json_pointer where(pointer);
      if (!document.contains(where)) {
        return fail(fmt::format("nothing at {} to capture as {}", pointer, variable));
      }
      const Json& value = document.at(where);
      if (value.is_object() || value.is_array()) {
        return fail(fmt::format("{} holds {}, not a scalar to capture as {}", pointer,
                                value.is_object() ? "an object" : "a list", variable));
      }
      verdict.captured[variable] = value.is_string() ? value.get<std::string>() : value.dump();
    }
  } catch (const Json::exception& e) {
    // Only for checks that did not come through ParseCheckSuite (an invalid pointer).
    verdict.captured.clear();
    return fail(fmt::format("cannot evaluate the check: {}", e.what()));
  }
  verdict.passed = true;
  return verdict;
}

std::string BodyExcerpt(std::string_view body, size_t max_bytes) {
  if (body.empty()) return "(empty)";
  size_t cut = std::min(body.size(), max_bytes);
  // Back off to the start of a UTF-8 sequence, so that the cut does not split a character.
  if (cut < body.size()) {
    while (cut > 0 && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80) --cut;
  }
  std::string out;
  for (char c : body.substr(0, cut)) {
    auto byte = static_cast<unsigned char>(c);
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (byte < 0x20 || byte == 0x7f) {
      out += fmt::format("\\x{:02x}", byte);
    } else {
      out += c;
    }
  }
  if (cut < body.size()) out += fmt::format("… ({} bytes)", body.size());
  return out;
}

}  // namespace lockstep::engine
