#include "http/json_error.h"

#include <nlohmann/json.hpp>

namespace lockstep::http {

std::string JsonErrorBody(int status, std::string_view message, std::string_view request_id) {
  nlohmann::ordered_json body = {{"error",
                                  {{"status", status},
                                   {"message", std::string(message)},
                                   {"request_id", std::string(request_id)}}}};
  // Replace, not throw, on invalid UTF-8: a message may quote client input.
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

Response JsonErrorResponse(int status, std::string_view message, std::string_view request_id) {
  Response response;
  response.status = status;
  response.headers.Set("Content-Type", "application/json");
  response.headers.Set("Cache-Control", "no-store");
  response.body = JsonErrorBody(status, message, request_id);
  return response;
}

std::string_view StatusMessage(int status) {
  switch (status) {
    case 400:
      return "bad request";
    case 401:
      return "unauthorized";
    case 403:
      return "forbidden";
    case 404:
      return "not found";
    case 405:
      return "method not allowed";
    case 408:
      return "request timeout";
    case 409:
      return "conflict";
    case 411:
      return "length required";
    case 413:
      return "content too large";
    case 414:
      return "uri too long";
    case 415:
      return "unsupported media type";
    case 429:
      return "too many requests";
    case 431:
      return "request header fields too large";
    case 500:
      return "internal server error";
    case 501:
      return "not implemented";
    case 502:
      return "bad gateway";
    case 503:
      return "service unavailable";
    case 504:
      return "gateway timeout";
    case 505:
      return "http version not supported";
    default:
      return "error";
  }
}

}  // namespace lockstep::http
