// registry-api-legacy: the first implementation of the people API, kept as the last
// fallback of the handler chain. It only reads: the list, one person, /health. Writes
// answer 405 naming the handler, so a client knows why and the data cannot be damaged by
// code this old.
#include "../common/handler_base.h"

using namespace handler_base;

int main() {
  return Serve("registry-api-legacy", [](sqlite3* db, const Request& request) {
    const std::string_view path = PathOf(request);
    const bool read = request.method() == http::verb::get || request.method() == http::verb::head;
    const bool known = path == "/health" || path == "/people" || PersonId(path) != 0;
    if (!known) return Error(request, http::status::not_found, "no such route");
    if (!read) {
      Response response = Error(request, http::status::method_not_allowed,
                                "the legacy handler is read-only: writes are not available "
                                "until a newer handler serves again");
      response.set(http::field::allow, "GET, HEAD");
      return response;
    }
    if (path == "/health") return Health(db, request);
    if (path == "/people") return ListPeople(db, request);
    return GetPerson(db, request, PersonId(path));
  });
}
