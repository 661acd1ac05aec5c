// What the API's handlers share: JSON responses, errors mapped to status codes without
// internals, and taking a request target apart. Internal to server/. Pure; thread-safe.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"
#include "http/http_types.h"

namespace lockstep::server {

http::Response JsonResponse(int status, const nlohmann::ordered_json& body);

// The HTTP status for an error's code: 400, 404, 409, 403, 503, else 500.
int StatusFor(ErrorCode code);

// A refused request: the message is for the client and says what was wrong with it; a 500
// says only "internal error" and the cause goes to the log with the request id.
http::Response ErrorFor(const Error& error, const std::string& request_id);

struct Target {
  std::string path;
  std::map<std::string, std::string> query;
};

Target SplitTarget(std::string_view target);
std::vector<std::string_view> Segments(std::string_view path);
// The `limit` query parameter, 1-1000, default 50.
size_t LimitOf(const Target& target);

}  // namespace lockstep::server
