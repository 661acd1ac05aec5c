// The thin clients' way to the server (deploy, rollback, status, releases): find it through
// LOCKSTEP_URL or the state directory, send the admin token on mutations, and turn the API's
// JSON errors into messages. Used from main's thread only.
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "base/error.h"
#include "http/client.h"

namespace lockstep::cli {

struct ApiCall {
  std::string method = "GET";
  std::string target = {};  // "/api/v1/status"
  std::optional<nlohmann::ordered_json> body = {};
  bool needs_token = false;  // mutations: LOCKSTEP_TOKEN, else the state directory's token
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
};

// Whether `name` can be a service name (and so a path segment as it is): 1-63 letters,
// digits, '-', '_' and '.', not starting with '.'. Checked before it goes into a URL.
bool IsServiceName(std::string_view name);

// Who is acting: `given` (--actor), else $LOCKSTEP_ACTOR, else the login name.
std::string ActorName(const std::string& given = "");

// The response body of a 2xx answer. Fails with kUnavailable when no server runs (saying how
// to start one), and with the API's own message (and a code matching its status) otherwise.
Result<nlohmann::ordered_json> CallApi(const ApiCall& call);

// The same, to the server at `base`, with `token` on mutations: for a caller that started the
// server itself (`lockstep demo`).
Result<nlohmann::ordered_json> CallApiAt(const http::Url& base, const std::string& token,
                                         const ApiCall& call);

}  // namespace lockstep::cli
