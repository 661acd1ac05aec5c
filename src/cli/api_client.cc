#include "cli/api_client.h"

#include <fmt/core.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "base/state_directory.h"
#include "http/client.h"
#include "server/admin_token.h"
#include "server/instance.h"

namespace lockstep::cli {

bool IsServiceName(std::string_view name) {
  if (name.empty() || name.size() > 63 || name.front() == '.' || name.front() == '-') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::string ActorName(const std::string& given) {
  if (!given.empty()) return given;
  if (const char* actor = std::getenv("LOCKSTEP_ACTOR"); actor != nullptr && *actor != '\0') {
    return actor;
  }
  if (const passwd* user = ::getpwuid(::getuid()); user != nullptr) return user->pw_name;
  return "unknown";
}

Result<nlohmann::ordered_json> CallApi(const ApiCall& call) {
  Result<std::filesystem::path> state = FindStateDirectory(std::filesystem::current_path());
  if (!state) return std::unexpected(state.error());
  Result<std::string> url = server::ServerUrl(*state);
  if (!url) {
    return Fail(ErrorCode::kUnavailable,
                fmt::format("{}; start one with `lockstep serve` (or set LOCKSTEP_URL)",
                            url.error().message()));
  }
  Result<http::Url> base = http::ParseUrl(*url);
  if (!base) return std::unexpected(base.error());
  std::string token;
  if (call.needs_token) {
    if (const char* given = std::getenv("LOCKSTEP_TOKEN"); given != nullptr && *given != '\0') {
      token = given;
    } else {
      Result<std::string> stored = server::ReadAdminToken(*state);
      if (!stored) return std::unexpected(stored.error());
      token = *stored;
    }
  }
  return CallApiAt(*base, token, call);
}

Result<nlohmann::ordered_json> CallApiAt(const http::Url& base, const std::string& token,
                                         const ApiCall& call) {
  http::ClientRequest request;
  request.method = call.method;
  request.target = call.target;
  request.headers.Set("Accept", "application/json");
  if (call.body) {
    request.headers.Set("Content-Type", "application/json");
    request.body = call.body->dump();
  }
  if (call.needs_token) request.headers.Set("Authorization", "Bearer " + token);
  Result<http::ClientResponse> response = http::Fetch(base, request, call.timeout);
  if (!response) return std::unexpected(response.error());
  nlohmann::ordered_json body = nlohmann::ordered_json::parse(response->body, nullptr, false);
  if (response->status >= 200 && response->status < 300) {
    if (body.is_discarded()) {
      return Fail(
          ErrorCode::kInvalidArgument,
          fmt::format("the server at {} answered something that is not JSON", base.Authority()));
    }
    return body;
  }
  std::string message = fmt::format("the server answered {}", response->status);
  if (body.is_object() && body.contains("error") && body["error"].contains("message") &&
      body["error"]["message"].is_string()) {
    message = body["error"]["message"].get<std::string>();
  }
  ErrorCode code = response->status == 404   ? ErrorCode::kNotFound
                   : response->status == 400 ? ErrorCode::kInvalidArgument
                   : response->status == 401 || response->status == 403
                       ? ErrorCode::kPermissionDenied
                   : response->status == 503 ? ErrorCode::kUnavailable
                                             : ErrorCode::kInternal;
  return Fail(code, message);
}

}  // namespace lockstep::cli
