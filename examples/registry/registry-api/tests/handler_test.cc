#include "handler.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <nlohmann/json.hpp>

#include "temp_dir.h"

namespace registry {
namespace {

using nlohmann::json;

// 2026-12-05T10:00:00Z
const std::chrono::system_clock::time_point kNow{std::chrono::seconds(1796464800)};

json Ada() {
  return {{"first_name", "Ada"},
          {"last_name", "Lovelace"},
          {"email", "ada@example.org"},
          {"date_of_birth", "1815-12-10"},
          {"address", "London"}};
}

class HandlerTest : public ::testing::Test {
 protected:
  HandlerTest() { Open(); }

  void Open() {
    handler_.reset();
    store_.reset();
    std::string error;
    std::optional<Store> opened = Store::Open((dir_.path() / "people.db").string(), &error);
    ASSERT_TRUE(opened) << error;
    store_.emplace(std::move(*opened));
    handler_ = std::make_unique<Handler>(&*store_, [] { return kNow; });
  }

  Response Send(http::verb method, std::string target, std::string body = "",
                std::string if_match = "") {
    Request request(method, target, 11);
    if (!body.empty()) request.set(http::field::content_type, "application/json");
    if (!if_match.empty()) request.set(http::field::if_match, if_match);
    request.body() = std::move(body);
    request.prepare_payload();
    return handler_->Handle(request);
  }

  Response Post(const json& person) { return Send(http::verb::post, "/people", person.dump()); }

  // Creates a person and returns its id.
  std::int64_t Create(const json& person) {
    Response response = Post(person);
    EXPECT_EQ(response.result(), http::status::created) << response.body();
    return json::parse(response.body())["id"].get<std::int64_t>();
  }

  static json Body(const Response& response) { return json::parse(response.body()); }

  testing::TempDir dir_;
  std::optional<Store> store_;
  std::unique_ptr<Handler> handler_;
};

TEST_F(HandlerTest, PostCreatesWithLocationAndETag) {
  Response response = Post(Ada());
  ASSERT_EQ(response.result(), http::status::created) << response.body();
  json body = Body(response);
  EXPECT_EQ(response[http::field::location], "/people/" + std::to_string(body["id"].get<int>()));
  EXPECT_EQ(response[http::field::etag], "\"1\"");
  EXPECT_EQ(response[http::field::content_type], "application/json");
  EXPECT_EQ(body["first_name"], "Ada");
  EXPECT_EQ(body["created_at"], "2026-12-05T10:00:00Z");
  EXPECT_EQ(body["updated_at"], "2026-12-05T10:00:00Z");
}

TEST_F(HandlerTest, GetReturnsThePersonWithItsETag) {
  std::int64_t id = Create(Ada());
  Response response = Send(http::verb::get, "/people/" + std::to_string(id));
  ASSERT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response[http::field::etag], "\"1\"");
  json body = Body(response);
  EXPECT_EQ(body["id"], id);
  EXPECT_EQ(body["email"], "ada@example.org");
  EXPECT_EQ(body["date_of_birth"], "1815-12-10");
  EXPECT_EQ(body["address"], "London");
}

TEST_F(HandlerTest, UnknownIdIs404) {
  EXPECT_EQ(Send(http::verb::get, "/people/42").result(), http::status::not_found);
  EXPECT_EQ(Send(http::verb::put, "/people/42", Ada().dump()).result(), http::status::not_found);
  EXPECT_EQ(Send(http::verb::patch, "/people/42", "{}").result(), http::status::not_found);
  EXPECT_EQ(Send(http::verb::delete_, "/people/42").result(), http::status::not_found);
  EXPECT_EQ(Send(http::verb::get, "/people/abc").result(), http::status::not_found);
  EXPECT_EQ(Send(http::verb::get, "/nowhere").result(), http::status::not_found);
}

TEST_F(HandlerTest, MalformedJsonIs400) {
  Response response = Send(http::verb::post, "/people", "{\"first_name\": ");
  EXPECT_EQ(response.result(), http::status::bad_request);
  EXPECT_NE(Body(response)["error"]["message"].get<std::string>().find("not valid JSON"),
            std::string::npos);
  EXPECT_EQ(Send(http::verb::post, "/people", "[1, 2]").result(), http::status::bad_request);
}

TEST_F(HandlerTest, WrongTypeIs400NamingTheField) {
  json person = Ada();
  person["email"] = 7;
  Response response = Post(person);
  ASSERT_EQ(response.result(), http::status::bad_request);
  EXPECT_EQ(Body(response)["error"]["fields"], (json{{"email", "must be a string"}}));
}

TEST_F(HandlerTest, InvalidValuesAre422NamingEachField) {
  Response response = Post({{"email", "nope"}, {"date_of_birth", "2999-01-01"}, {"last_name", ""}});
  ASSERT_EQ(response.result(), http::status::unprocessable_entity);
  json error = Body(response)["error"];
  EXPECT_EQ(error["message"], "person is invalid");
  EXPECT_EQ(error["fields"], (json{{"first_name", "is required"},
                                   {"last_name", "is required"},
                                   {"email", "must be an email address"},
                                   {"date_of_birth", "must not be in the future"}}));
  // Nothing was stored.
  EXPECT_EQ(Body(Send(http::verb::get, "/people"))["total"], 0);
}

TEST_F(HandlerTest, DuplicateEmailIs409) {
  Create(Ada());
  json other = Ada();
  other["first_name"] = "Augusta";
  other["email"] = "ADA@example.org";
  Response response = Post(other);
  ASSERT_EQ(response.result(), http::status::conflict);
  EXPECT_EQ(Body(response)["error"]["fields"], (json{{"email", "is already in use"}}));

  // Taking another person's email by PUT is refused too.
  std::int64_t grace =
      Create({{"first_name", "Grace"}, {"last_name", "Hopper"}, {"email", "grace@example.org"}});
  json replacement = {
      {"first_name", "Grace"}, {"last_name", "Hopper"}, {"email", "ada@example.org"}};
  EXPECT_EQ(Send(http::verb::put, "/people/" + std::to_string(grace), replacement.dump()).result(),
            http::status::conflict);
}

TEST_F(HandlerTest, PutReplacesEveryField) {
  std::int64_t id = Create(Ada());
  json replacement = {
      {"first_name", "Augusta"}, {"last_name", "King"}, {"email", "ak@example.org"}};
  Response response = Send(http::verb::put, "/people/" + std::to_string(id), replacement.dump());
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  EXPECT_EQ(response[http::field::etag], "\"2\"");
  json body = Body(response);
  EXPECT_EQ(body["first_name"], "Augusta");
  EXPECT_TRUE(body["address"].is_null());
  EXPECT_TRUE(body["date_of_birth"].is_null());
  // A replacement must be a whole valid person.
  EXPECT_EQ(
      Send(http::verb::put, "/people/" + std::to_string(id), R"({"first_name":"X"})").result(),
      http::status::unprocessable_entity);
}

TEST_F(HandlerTest, PatchMergesIntoTheCurrentPerson) {
  std::int64_t id = Create(Ada());
  Response response =
      Send(http::verb::patch, "/people/" + std::to_string(id), R"({"address": "Marylebone"})");
  ASSERT_EQ(response.result(), http::status::ok) << response.body();
  json body = Body(response);
  EXPECT_EQ(body["address"], "Marylebone");
  EXPECT_EQ(body["first_name"], "Ada");
  EXPECT_EQ(response[http::field::etag], "\"2\"");
  response = Send(http::verb::patch, "/people/" + std::to_string(id), R"({"email": "x"})");
  EXPECT_EQ(response.result(), http::status::unprocessable_entity);
  EXPECT_EQ(Body(response)["error"]["fields"], (json{{"email", "must be an email address"}}));
}

TEST_F(HandlerTest, DeleteIs204ThenGone) {
  std::int64_t id = Create(Ada());
  Response response = Send(http::verb::delete_, "/people/" + std::to_string(id));
  EXPECT_EQ(response.result(), http::status::no_content);
  EXPECT_TRUE(response.body().empty());
  EXPECT_EQ(Send(http::verb::get, "/people/" + std::to_string(id)).result(),
            http::status::not_found);
}

TEST_F(HandlerTest, IfMatchGuardsPutPatchAndDelete) {
  std::int64_t id = Create(Ada());
  const std::string path = "/people/" + std::to_string(id);

  // Two clients read version 1; the first write wins, the second is refused.
  Response first = Send(http::verb::patch, path, R"({"address":"Paris"})", "\"1\"");
  ASSERT_EQ(first.result(), http::status::ok) << first.body();
  EXPECT_EQ(first[http::field::etag], "\"2\"");
  Response second = Send(http::verb::patch, path, R"({"address":"Rome"})", "\"1\"");
  EXPECT_EQ(second.result(), http::status::precondition_failed);
  EXPECT_EQ(second[http::field::etag], "\"2\"");
  EXPECT_EQ(Send(http::verb::put, path, Ada().dump(), "\"1\"").result(),
            http::status::precondition_failed);
  EXPECT_EQ(Send(http::verb::delete_, path, "", "\"1\"").result(),
            http::status::precondition_failed);
  // A weak tag never matches under If-Match.
  EXPECT_EQ(Send(http::verb::delete_, path, "", "W/\"2\"").result(),
            http::status::precondition_failed);
  EXPECT_EQ(Body(Send(http::verb::get, path))["address"], "Paris");

  // The current tag, a list holding it, and "*" all match.
  EXPECT_EQ(Send(http::verb::put, path, Ada().dump(), "\"9\", \"2\"").result(), http::status::ok);
  EXPECT_EQ(Send(http::verb::patch, path, "{}", "*").result(), http::status::ok);
  EXPECT_EQ(Send(http::verb::delete_, path, "", "\"4\"").result(), http::status::no_content);
}

TEST_F(HandlerTest, WrongMethodIs405WithAllow) {
  Response response = Send(http::verb::delete_, "/people");
  EXPECT_EQ(response.result(), http::status::method_not_allowed);
  EXPECT_EQ(response[http::field::allow], "GET, POST");
  response = Send(http::verb::post, "/people/1", Ada().dump());
  EXPECT_EQ(response.result(), http::status::method_not_allowed);
  EXPECT_EQ(response[http::field::allow], "GET, PUT, PATCH, DELETE");
  EXPECT_EQ(Send(http::verb::post, "/health").result(), http::status::method_not_allowed);
}

TEST_F(HandlerTest, BodyOver64KiBIs413) {
  json person = Ada();
  person["address"] = std::string(kMaxBodyBytes, 'x');
  Response response = Post(person);
  EXPECT_EQ(response.result(), http::status::payload_too_large);
  EXPECT_EQ(Body(Send(http::verb::get, "/people"))["total"], 0);
}

TEST_F(HandlerTest, ListPaginatesAndFiltersByName) {
  const char* names[][2] = {{"Ada", "Lovelace"},
                            {"Grace", "Hopper"},
                            {"Alan", "Turing"},
                            {"Edsger", "Dijkstra"},
                            {"Barbara", "Liskov"}};
  for (auto& name : names) {
    Create({{"first_name", name[0]},
            {"last_name", name[1]},
            {"email", std::string(name[0]) + "@example.org"}});
  }
  json page = Body(Send(http::verb::get, "/people?limit=2&offset=1"));
  EXPECT_EQ(page["total"], 5);
  EXPECT_EQ(page["limit"], 2);
  EXPECT_EQ(page["offset"], 1);
  ASSERT_EQ(page["items"].size(), 2u);
  EXPECT_EQ(page["items"][0]["first_name"], "Grace");
  EXPECT_EQ(page["items"][1]["first_name"], "Alan");

  json last = Body(Send(http::verb::get, "/people?limit=2&offset=4"));
  ASSERT_EQ(last["items"].size(), 1u);
  EXPECT_EQ(last["items"][0]["first_name"], "Barbara");

  json defaults = Body(Send(http::verb::get, "/people"));
  EXPECT_EQ(defaults["limit"], 20);
  EXPECT_EQ(defaults["offset"], 0);
  EXPECT_EQ(defaults["items"].size(), 5u);

  // Matching ignores case and looks at the last name as well as the first.
  json filtered = Body(Send(http::verb::get, "/people?name=LI"));
  EXPECT_EQ(filtered["total"], 1);
  EXPECT_EQ(filtered["items"][0]["last_name"], "Liskov");
  // The filter is percent-decoded: "hop%70er" is "hopper".
  json decoded = Body(Send(http::verb::get, "/people?name=hop%70er"));
  EXPECT_EQ(decoded["total"], 1);
  json by_first = Body(Send(http::verb::get, "/people?name=gra&limit=1"));
  EXPECT_EQ(by_first["total"], 1);
  EXPECT_EQ(by_first["items"][0]["last_name"], "Hopper");
}

TEST_F(HandlerTest, BadPaginationIs400) {
  Response response = Send(http::verb::get, "/people?limit=0&offset=-1");
  ASSERT_EQ(response.result(), http::status::bad_request);
  json fields = Body(response)["error"]["fields"];
  EXPECT_TRUE(fields.contains("limit"));
  EXPECT_TRUE(fields.contains("offset"));
  EXPECT_EQ(Send(http::verb::get, "/people?limit=101").result(), http::status::bad_request);
  EXPECT_EQ(Send(http::verb::get, "/people?limit=ten").result(), http::status::bad_request);
}

TEST_F(HandlerTest, DataSurvivesReopeningTheStore) {
  std::int64_t id = Create(Ada());
  ASSERT_EQ(
      Send(http::verb::patch, "/people/" + std::to_string(id), R"({"address":"Paris"})").result(),
      http::status::ok);
  Open();
  Response response = Send(http::verb::get, "/people/" + std::to_string(id));
  ASSERT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(response[http::field::etag], "\"2\"");
  EXPECT_EQ(Body(response)["address"], "Paris");
}

TEST_F(HandlerTest, HealthIs200WhenTheStoreAnswersAnd503WhenNot) {
  Response response = Send(http::verb::get, "/health");
  ASSERT_EQ(response.result(), http::status::ok);
  EXPECT_EQ(Body(response), (json{{"status", "ok"}}));

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir_.path() / "people.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "DROP TABLE people", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(db);
  response = Send(http::verb::get, "/health");
  EXPECT_EQ(response.result(), http::status::service_unavailable);
  EXPECT_EQ(Body(response)["status"], "unavailable");
}

}  // namespace
}  // namespace registry
