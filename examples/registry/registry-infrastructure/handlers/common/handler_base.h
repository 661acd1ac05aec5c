// What the older handlers share: the environment ($PORT, $DATA_DIR), the people table of
// registry-api's store (same file, same schema, so data survives switching handlers), the
// person's JSON, and a plain blocking HTTP loop. One request per connection, one at a
// time: these are fallbacks, kept simple rather than fast.
#pragma once

#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

namespace handler_base {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using Json = nlohmann::json;

// The schema of registry-api's src/store.cc; CREATE IF NOT EXISTS keeps theirs intact.
inline constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS people (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  first_name TEXT NOT NULL,
  last_name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  date_of_birth TEXT,
  address TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
)sql";

inline constexpr const char* kColumns =
    "id, first_name, last_name, email, date_of_birth, address, created_at, updated_at, version";

inline std::string_view Target(const Request& request) {
  return {request.target().data(), request.target().size()};
}

// The target without its query string.
inline std::string_view PathOf(const Request& request) {
  std::string_view target = Target(request);
  return target.substr(0, target.find('?'));
}

inline Response Reply(const Request& request, http::status status, const Json& body) {
  Response response(status, request.version());
  response.set(http::field::content_type, "application/json");
  response.keep_alive(false);
  response.body() = body.dump();
  response.prepare_payload();
  return response;
}

inline Response Error(const Request& request, http::status status, const std::string& message) {
  return Reply(request, status, {{"error", {{"message", message}}}});
}

// A row of `kColumns` as registry-api writes a person.
inline Json RowToJson(sqlite3_stmt* row) {
  auto text = [row](int column) -> Json {
    if (sqlite3_column_type(row, column) == SQLITE_NULL) return nullptr;
    return reinterpret_cast<const char*>(sqlite3_column_text(row, column));
  };
  return {{"id", sqlite3_column_int64(row, 0)},
          {"first_name", text(1)},
          {"last_name", text(2)},
          {"email", text(3)},
          {"date_of_birth", text(4)},
          {"address", text(5)},
          {"created_at", text(6)},
          {"updated_at", text(7)}};
}

inline std::string ETag(sqlite3_stmt* row) {
  return "\"" + std::to_string(sqlite3_column_int64(row, 8)) + "\"";
}

// "/people/42" -> 42; 0 when the path is not a person's.
inline long long PersonId(std::string_view path) {
  constexpr std::string_view prefix = "/people/";
  if (!path.starts_with(prefix)) return 0;
  path.remove_prefix(prefix.size());
  long long id = 0;
  auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), id);
  return ec == std::errc() && end == path.data() + path.size() && id > 0 ? id : 0;
}

// One statement, finalized on scope exit.
struct Statement {
  sqlite3_stmt* stmt = nullptr;
  Statement(sqlite3* db, const std::string& sql) {
    sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr);
  }
  ~Statement() { sqlite3_finalize(stmt); }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
};

// The value of `key` in the request's query string, percent-decoded; `fallback` if absent.
inline std::string QueryValue(std::string_view target, std::string_view key, std::string fallback) {
  auto question = target.find('?');
  if (question == std::string_view::npos) return fallback;
  std::string_view query = target.substr(question + 1);
  while (!query.empty()) {
    std::string_view pair = query.substr(0, query.find('&'));
    query.remove_prefix(std::min(query.size(), pair.size() + 1));
    if (pair.substr(0, pair.find('=')) != key || pair.find('=') == std::string_view::npos) continue;
    std::string value;
    std::string_view raw = pair.substr(pair.find('=') + 1);
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        value += ' ';
      } else if (raw[i] == '%' && i + 2 < raw.size() && std::isxdigit(raw[i + 1]) &&
                 std::isxdigit(raw[i + 2])) {
        value += static_cast<char>(std::stoi(std::string(raw.substr(i + 1, 2)), nullptr, 16));
        i += 2;
      } else {
        value += raw[i];
      }
    }
    return value;
  }
  return fallback;
}

inline Response GetPerson(sqlite3* db, const Request& request, long long id) {
  Statement select(db, std::string("SELECT ") + kColumns + " FROM people WHERE id = ?");
  sqlite3_bind_int64(select.stmt, 1, id);
  int rc = sqlite3_step(select.stmt);
  if (rc == SQLITE_DONE) return Error(request, http::status::not_found, "no such person");
  if (rc != SQLITE_ROW)
    return Error(request, http::status::service_unavailable, "data store unavailable");
  Response response = Reply(request, http::status::ok, RowToJson(select.stmt));
  response.set(http::field::etag, ETag(select.stmt));
  return response;
}

// GET /people?limit=&offset=&name= as registry-api answers it.
inline Response ListPeople(sqlite3* db, const Request& request) {
  int limit = 0;
  int offset = -1;
  try {
    limit = std::stoi(QueryValue(Target(request), "limit", "20"));
    offset = std::stoi(QueryValue(Target(request), "offset", "0"));
  } catch (const std::exception&) {
  }
  if (limit < 1 || limit > 100 || offset < 0) {
    return Error(request, http::status::bad_request, "limit must be 1-100 and offset at least 0");
  }
  const std::string name = QueryValue(Target(request), "name", "");
  const std::string where =
      " WHERE (?1 = '' OR instr(lower(first_name), lower(?1)) > 0 OR "
      "instr(lower(last_name), lower(?1)) > 0)";
  Statement count(db, "SELECT COUNT(*) FROM people" + where);
  sqlite3_bind_text(count.stmt, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  if (sqlite3_step(count.stmt) != SQLITE_ROW) {
    return Error(request, http::status::service_unavailable, "data store unavailable");
  }
  Statement select(db, std::string("SELECT ") + kColumns + " FROM people" + where +
                           " ORDER BY id LIMIT ?2 OFFSET ?3");
  sqlite3_bind_text(select.stmt, 1, name.c_str(), -1, SQLITE_TRANSIENT);
  sqlite3_bind_int(select.stmt, 2, limit);
  sqlite3_bind_int(select.stmt, 3, offset);
  Json items = Json::array();
  while (sqlite3_step(select.stmt) == SQLITE_ROW) items.push_back(RowToJson(select.stmt));
  return Reply(request, http::status::ok,
               {{"items", items},
                {"total", sqlite3_column_int64(count.stmt, 0)},
                {"limit", limit},
                {"offset", offset}});
}

inline Response Health(sqlite3* db, const Request& request) {
  Statement probe(db, "SELECT COUNT(*) FROM people");
  if (sqlite3_step(probe.stmt) != SQLITE_ROW) {
    return Error(request, http::status::service_unavailable, "data store unavailable");
  }
  return Reply(request, http::status::ok, {{"status", "ok"}});
}

// Opens $DATA_DIR/people.db with the schema and serves `handle` on 127.0.0.1:$PORT until
// killed. Returns the process's exit code when it cannot start.
inline int Serve(const char* name,
                 const std::function<Response(sqlite3*, const Request&)>& handle) {
  const char* port_text = std::getenv("PORT");
  const char* data_dir = std::getenv("DATA_DIR");
  unsigned short port = 0;
  if (!port_text ||
      std::from_chars(port_text, port_text + std::strlen(port_text), port).ec != std::errc() ||
      port == 0 || !data_dir || !*data_dir) {
    std::cerr << name << ": error: PORT (a port number) and DATA_DIR must be set\n";
    return 2;
  }
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  const std::string path = (std::filesystem::path(data_dir) / "people.db").string();
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK ||
      sqlite3_exec(db, "PRAGMA journal_mode=WAL", nullptr, nullptr, nullptr) != SQLITE_OK ||
      sqlite3_exec(db, kSchema, nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::cerr << name << ": error: " << path << ": " << sqlite3_errmsg(db) << "\n";
    return 1;
  }
  sqlite3_busy_timeout(db, 5000);
  namespace net = boost::asio;
  net::io_context io;
  net::ip::tcp::acceptor acceptor(io);
  boost::system::error_code bind_error;
  net::ip::tcp::endpoint endpoint(net::ip::address_v4::loopback(), port);
  acceptor.open(endpoint.protocol(), bind_error);
  if (!bind_error) acceptor.set_option(net::socket_base::reuse_address(true), bind_error);
  if (!bind_error) acceptor.bind(endpoint, bind_error);
  if (!bind_error) acceptor.listen(net::socket_base::max_listen_connections, bind_error);
  if (bind_error) {
    std::cerr << name << ": error: cannot listen on 127.0.0.1:" << port << ": "
              << bind_error.message() << "\n";
    return 1;
  }
  std::cout << name << " listening on 127.0.0.1:" << port << std::endl;
  for (;;) {
    net::ip::tcp::socket socket(io);
    acceptor.accept(socket, bind_error);
    if (bind_error) continue;
    // A client that connects and sends nothing must not stop the loop for long.
    timeval timeout{5, 0};
    setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    boost::beast::flat_buffer buffer;
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    boost::system::error_code io_error;
    http::read(socket, buffer, parser, io_error);
    if (io_error) continue;
    Response response = handle(db, parser.get());
    http::write(socket, response, io_error);
    socket.shutdown(net::ip::tcp::socket::shutdown_both, io_error);
  }
}

}  // namespace handler_base
