#include "server/api_util.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "http/json_error.h"

namespace lockstep::server {

namespace {
constexpr size_t kDefaultLimit = 50;
}  // namespace

http::Response JsonResponse(int status, const nlohmann::ordered_json& body) {
  http::Response response;
  response.status = status;
  response.headers.Set("Content-Type", "application/json");
  response.headers.Set("Cache-Control", "no-store");
  response.body = body.dump() + "\n";
  return response;
}

int StatusFor(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
      return 409;
    case ErrorCode::kUnavailable:
      return 503;
    case ErrorCode::kPermissionDenied:
      return 403;
    default:
      return 500;
  }
}

// A refused request: the message is for the client and says what was wrong with it.
http::Response ErrorFor(const Error& error, const std::string& request_id) {
  int status = StatusFor(error.code());
  if (status == 500) {
    spdlog::error("request {}: {}", request_id, error.message());
    return http::JsonErrorResponse(500, "internal error", request_id);
  }
  return http::JsonErrorResponse(status, error.ToString(), request_id);
}

Target SplitTarget(std::string_view target) {
  Target split;
  size_t question = target.find('?');
  split.path = std::string(target.substr(0, question));
  if (question == std::string_view::npos) return split;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t equals = pair.find('=');
    if (equals != std::string_view::npos) {
      split.query[std::string(pair.substr(0, equals))] = std::string(pair.substr(equals + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return split;
}

std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> segments;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    size_t slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return segments;
}

size_t LimitOf(const Target& target) {
  auto it = target.query.find("limit");
  size_t limit = kDefaultLimit;
  if (it != target.query.end()) {
    std::from_chars(it->second.data(), it->second.data() + it->second.size(), limit);
  }
  return std::clamp<size_t>(limit, 1, 1000);
}

}  // namespace lockstep::server
