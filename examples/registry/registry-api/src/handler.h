// The registry's HTTP routes as a pure request -> response function over a Store, so that
// tests call it without sockets.
#pragma once

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>

#include "store.h"

namespace registry {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using Clock = std::function<std::chrono::system_clock::time_point()>;

// Larger request bodies are refused with 413.
inline constexpr std::size_t kMaxBodyBytes = 64 * 1024;

class Handler {
 public:
  // `store` must outlive the handler. `clock` stamps created_at/updated_at and bounds
  // date_of_birth; tests pass a fixed one.
  explicit Handler(Store* store, Clock clock = std::chrono::system_clock::now);

  // Routes: GET /health; GET, POST /people; GET, PUT, PATCH, DELETE /people/{id}.
  // Every response but 204 has a JSON body; all have a Content-Length.
  Response Handle(const Request& request);

 private:
  Response Health(const Request& request);
  Response ListPeople(const Request& request, std::string_view query);
  Response CreatePerson(const Request& request);
  Response GetPerson(const Request& request, std::int64_t id);
  Response WritePerson(const Request& request, std::int64_t id);  // PUT and PATCH
  Response DeletePerson(const Request& request, std::int64_t id);
  // The person a write or delete applies to, into `current`; or the answer that refuses the
  // request (404, 503, or 412 when If-Match does not admit its version).
  std::optional<Response> LoadForWrite(const Request& request, std::int64_t id, Person* current);

  Store* store_;
  Clock clock_;
};

}  // namespace registry
