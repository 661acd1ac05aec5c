// The JSON error body of every response lockstep's HTTP side generates itself (malformed
// requests, limits, no route, a failed handler, an unreachable upstream):
//
//   {"error": {"status": 431, "message": "request header fields too large",
//              "request_id": "4f2c..."}}
//
// Messages are fixed, client-facing texts: never exception text, paths or upstream addresses.
// Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "http/http_types.h"

namespace lockstep::http {

// The body above, without a trailing newline.
std::string JsonErrorBody(int status, std::string_view message, std::string_view request_id);

// A whole response with that body, `Content-Type: application/json` and `Cache-Control:
// no-store`.
Response JsonErrorResponse(int status, std::string_view message, std::string_view request_id);

// The standard reason phrase of `status` in lower case ("not found"), or "error" when unknown;
// the default message of the errors above.
std::string_view StatusMessage(int status);

}  // namespace lockstep::http
