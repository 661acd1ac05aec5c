// The HTTP checks of `lockstep verify` and lockstep/verify@v1: what to request, what the
// response must show, and what to capture from it for later checks. This file is the pure
// part: reading a checks file, preparing a check's request with the variables captured so
// far, and judging a response. Sending requests and retrying are http_check_runner.h's.
//
// A checks file is JSON with the keys of the action's Configuration (docs/verify.md):
//
//   {"BaseUrl": "http://127.0.0.1:8080", "Deadline": "30s", "Interval": "1s",
//    "Checks": [{"Name": "create", "Method": "POST", "Path": "/api/people",
//                "Headers": {"Content-Type": "application/json"},
//                "Body": "{\"first_name\":\"Ada\"}", "ExpectStatus": 201,
//                "ExpectJson": {"/first_name": "Ada"}, "Capture": {"PERSON_ID": "/id"}},
//               {"Path": "/api/people/${PERSON_ID}", "ExpectStatus": 200,
//                "ExpectBody": "Ada"}]}
//
// `${NAME}` in Path, Body, header values and ExpectBody is replaced by variable NAME: one
// captured by an earlier check, or one given from outside (`--from-env`). In Path the value
// is percent-encoded, so a captured value cannot change the path's shape. Other `${…}` text
// is kept as written. Pure; thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/error.h"

namespace lockstep::engine {

using NameValue = std::pair<std::string, std::string>;
using Variables = std::map<std::string, std::string, std::less<>>;

struct HttpCheck {
  std::string name;  // optional; see Label
  std::string method = "GET";
  std::string path;                // starts with '/'; may hold ${NAME}
  std::string body;                // may hold ${NAME}
  std::vector<NameValue> headers;  // values may hold ${NAME}
  int expect_status = 200;
  std::optional<std::string> expect_body;  // a text the body must contain; may hold ${NAME}
  // JSON pointer ("/items/0/id") -> the scalar expected there, as JSON text ("\"Ada\"", "42",
  // "true", "null"). Numbers compare by value (1 equals 1.0); other kinds must match exactly.
  std::vector<NameValue> expect_json;
  // Variable name -> the JSON pointer of the scalar to capture (a string as is, any other
  // scalar as its JSON text).
  std::vector<NameValue> captures;

  // The name, or "METHOD PATH" with the path as written (variables not substituted, so that
  // a value from outside, possibly a secret, does not reach messages).
  std::string Label() const;
};

struct CheckSuite {
  std::string base_url;                        // empty: the caller's default (the gateway)
  std::chrono::milliseconds deadline{30'000};  // for all checks together, retries included
  std::chrono::milliseconds interval{1'000};   // between the starts of a check's attempts
  std::vector<HttpCheck> checks;
};

// Reads a checks file. `given` names the variables set from outside, which every check may
// use. Fails with kInvalidArgument naming the check (by number and label) and the key: an
// unknown key, a wrong type, a path without a leading '/', a method that is not an HTTP
// token, an invalid JSON pointer or variable name, a non-scalar ExpectJson value, a variable
// used before a check captures it, a capture that would overwrite a given variable.
Result<CheckSuite> ParseCheckSuite(std::string_view json_text,
                                   const std::vector<std::string>& given = {});

// Serialises a suite as a checks file (one line), the inverse of ParseCheckSuite.
std::string CheckSuiteToJson(const CheckSuite& suite);

// A check's request with the variables in place.
struct CheckRequest {
  std::string method;
  std::string target;
  std::vector<NameValue> headers;
  std::string body;
};

// Substitutes `variables` into `check`. Fails with kInvalidArgument when a variable the check
// uses is not set (ParseCheckSuite rules that out for suites it read).
Result<CheckRequest> PrepareRequest(const HttpCheck& check, const Variables& variables);

struct CheckVerdict {
  bool passed = false;
  // Why not, for people: what was expected, what came, and a bounded excerpt of the body,
  // e.g. "expected status 201, got 503; body: {\"error\":\"starting\"}".
  std::string failure;
  Variables captured;  // the check's captures, when it passed
};

// Judges a response to `check`: its status, then ExpectBody (with `variables` substituted),
// then every ExpectJson value, then the captures, which must all find a scalar.
CheckVerdict EvaluateResponse(const HttpCheck& check, const Variables& variables, int status,
                              std::string_view body);

// At most `max_bytes` of `body` (cut at a UTF-8 boundary) on one line, with control
// characters escaped and "… (N bytes)" after a cut; "(empty)" for an empty body.
std::string BodyExcerpt(std::string_view body, size_t max_bytes = 300);

}  // namespace lockstep::engine
