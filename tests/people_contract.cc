#include "people_contract.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <initializer_list>
#include <latch>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <thread>
#include <utility>

namespace lockstep::testing {

namespace {

using nlohmann::json;

constexpr std::chrono::seconds kRequestTimeout(10);
constexpr size_t kBodyLimitBytes = 64 * 1024;  // the API's documented request body limit
constexpr int kConcurrentWriters = 8;

// One exchange with the API, labelled for failure messages.
struct Reply {
  std::string request;  // "PATCH http://127.0.0.1:8080/api/people/3"
  int status = 0;       // 0 when no response arrived (the reason is in `body`)
  http::Headers headers;
  std::string body;

  std::string Header(std::string_view name) const {
    return std::string(headers.Find(name).value_or(""));
  }
};

// "REQUEST answered STATUS: BODY…", the body cut short: enough to see what went wrong.
std::string Describe(const Reply& reply) {
  constexpr size_t kShownBytes = 300;
  std::string body = reply.body.substr(0, kShownBytes);
  if (reply.body.size() > kShownBytes) body += "…";
  return reply.request + " answered " + std::to_string(reply.status) + ": " + body;
}

Reply Send(const http::Url& api, std::string method, std::string target, std::string body = "",
           http::Headers headers = {}) {
  Reply reply;
  reply.request = method + " " + api.ToString() + target;
  if (!body.empty() && !headers.Find("Content-Type")) {
    headers.Set("Content-Type", "application/json");
  }
  http::ClientRequest request{.method = std::move(method),
                              .target = std::move(target),
                              .headers = std::move(headers),
                              .body = std::move(body)};
  Result<http::ClientResponse> response = http::Fetch(api, request, kRequestTimeout);
  if (!response) {
    reply.body = "no response: " + response.error().message();
    return reply;
  }
  reply.status = response->status;
  reply.headers = std::move(response->headers);
  reply.body = std::move(response->body);
  return reply;
}

http::Headers IfMatch(const std::string& etag) {
  http::Headers headers;
  headers.Set("If-Match", etag);
  return headers;
}

// Member `key` of `object`, or null when `object` is not an object or lacks it: the checks
// read bodies that may be anything when the API is broken.
json Member(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? json() : *it;
}

std::string Text(const json& object, std::string_view key) {
  json value = Member(object, key);
  return value.is_string() ? value.get<std::string>() : "";
}

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

bool ExpectStatus(const Reply& reply, int status) {
  EXPECT_EQ(reply.status, status) << Describe(reply);
  return reply.status == status;
}

// The body as JSON; reports a failure (and returns null) when it is not a JSON document
// labelled as one.
json JsonBody(const Reply& reply) {
  EXPECT_TRUE(reply.Header("Content-Type").starts_with("application/json"))
      << "Content-Type is \"" << reply.Header("Content-Type") << "\"; " << Describe(reply);
  json body = json::parse(reply.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) {
    ADD_FAILURE() << "the body is not JSON; " << Describe(reply);
    return nullptr;
  }
  return body;
}

// Expects `status` with the API's error body, {"error": {"message": "…", "fields": {…}}},
// naming each of `fields`.
void ExpectError(const Reply& reply, int status, std::initializer_list<std::string_view> fields) {
  if (!ExpectStatus(reply, status)) return;
  const json error = Member(JsonBody(reply), "error");
  EXPECT_FALSE(Text(error, "message").empty()) << "no error.message; " << Describe(reply);
  const json named = Member(error, "fields");
  for (std::string_view field : fields) {
    EXPECT_FALSE(Text(named, field).empty())
        << "error.fields does not name \"" << field << "\"; " << Describe(reply);
  }
}

// The response's ETag, which must be strong and quoted (RFC 9110 8.8.3): "" when it is not.
std::string ExpectETag(const Reply& reply) {
  std::string etag = reply.Header("ETag");
  bool strong = etag.size() >= 2 && etag.front() == '"' && etag.back() == '"';
  EXPECT_TRUE(strong) << "ETag is \"" << etag << "\"; " << Describe(reply);
  return strong ? etag : "";
}

std::string IdText(const json& person) {
  return person.is_object() && person.contains("id") && person["id"].is_number_integer()
             ? std::to_string(person["id"].get<int64_t>())
             : "";
}

json PersonBody(const std::string& first, const std::string& last, const std::string& email) {
  return {{"first_name", first}, {"last_name", last}, {"email", email}};
}

// Percent-encodes a query component (everything but RFC 3986's unreserved characters).
std::string EncodeQuery(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// A random lower-case tag for this process, so that two runs sharing a database (or two
// processes running at once) never make the same email or name.
const std::string& ProcessTag() {
  static const std::string tag = [] {
    std::random_device device;
    std::uniform_int_distribution<int> letter(0, 25);
    std::string text;
    for (int i = 0; i < 10; ++i) text += static_cast<char>('a' + letter(device));
    return text;
  }();
  return tag;
}

// The people one check created, deleted when it goes out of scope whatever happened, so that
// a failed check leaves nobody behind. A person the check already deleted (404) is fine.
class CreatedPeople {
 public:
  explicit CreatedPeople(const http::Url& api) : api_(api) {}
  CreatedPeople(const CreatedPeople&) = delete;
  CreatedPeople& operator=(const CreatedPeople&) = delete;
  ~CreatedPeople() {
    for (const std::string& id : ids_) {
      Reply reply = Send(api_, "DELETE", "/people/" + id);
      EXPECT_TRUE(reply.status == 204 || reply.status == 404) << "cleanup: " << Describe(reply);
    }
  }

  // POSTs `person`; on 201 remembers it and returns the response (checked by the caller).
  Reply Create(const json& person) {
    Reply reply = Send(api_, "POST", "/people", person.dump());
    if (reply.status == 201) {
      std::string id = IdText(json::parse(reply.body, nullptr, false));
      if (!id.empty()) ids_.push_back(id);
    }
    return reply;
  }

  // Creates a person and returns its id, or "" after reporting why not.
  std::string CreateId(const json& person) {
    Reply reply = Create(person);
    if (!ExpectStatus(reply, 201)) return "";
    std::string id = IdText(JsonBody(reply));
    EXPECT_FALSE(id.empty()) << "no integer id; " << Describe(reply);
    return id;
  }

 private:
  const http::Url& api_;
  std::vector<std::string> ids_;
};

// Expects `person` to carry every field with these written values and well-formed stamps.
void ExpectPersonFields(const Reply& reply, const json& person, const json& written) {
  static const std::regex kStamp(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z)");
  if (!person.is_object()) return;  // JsonBody reported it
  for (const char* field : {"id", "first_name", "last_name", "email", "date_of_birth", "address",
                            "created_at", "updated_at"}) {
    EXPECT_TRUE(person.contains(field)) << "no \"" << field << "\"; " << Describe(reply);
  }
  EXPECT_FALSE(IdText(person).empty()) << "id is not an integer; " << Describe(reply);
  for (const auto& [field, value] : written.items()) {
    EXPECT_EQ(Member(person, field), value) << "field " << field << "; " << Describe(reply);
  }
  for (const char* stamp : {"created_at", "updated_at"}) {
    EXPECT_TRUE(std::regex_match(Text(person, stamp), kStamp))
        << stamp << " is not ISO-8601 UTC; " << Describe(reply);
  }
}

// Waits (at most 2 s) until this machine's clock is past the second of `stamp`, an ISO-8601
// UTC time the API wrote, so that its next write must get a later updated_at: the API stamps
// whole seconds. Not a sleep for synchronisation: it waits for the condition itself.
void WaitUntilClockPasses(const std::string& stamp) {
  std::tm parsed{};
  if (!strptime(stamp.c_str(), "%Y-%m-%dT%H:%M:%S", &parsed)) return;
  const auto after =
      std::chrono::system_clock::from_time_t(timegm(&parsed)) + std::chrono::seconds(1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::system_clock::now() < after && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

void CheckHealth(const http::Url& api) {
  Reply reply = Send(api, "GET", "/health");
  if (!ExpectStatus(reply, 200)) return;
  EXPECT_EQ(Text(JsonBody(reply), "status"), "ok") << Describe(reply);
}

// POST → 201 with every field, ETag and Location; GET → 200, the same person and ETag; PUT
// replaces every field; PATCH merges (null clears) and moves updated_at; DELETE → 204 and the
// person is gone.
void CheckLifecycle(const http::Url& api) {
  CreatedPeople people(api);
  const std::string email = UniqueEmail("lifecycle");
  json written = PersonBody("Ada", "Lovelace", email);
  written["date_of_birth"] = "1815-12-10";
  written["address"] = "12 St James's Square, London";
  Reply created = people.Create(written);
  if (!ExpectStatus(created, 201)) return;
  json person = JsonBody(created);
  ExpectPersonFields(created, person, written);
  const std::string id = IdText(person);
  if (id.empty()) return;
  EXPECT_EQ(Member(person, "created_at"), Member(person, "updated_at")) << Describe(created);
  const std::string created_etag = ExpectETag(created);
  // The API answers its own path (/people/ID); behind a gateway that strips a prefix the
  // Location is not rewritten, so only the end of it is a promise that holds everywhere.
  EXPECT_TRUE(created.Header("Location").ends_with("/people/" + id))
      << "Location is \"" << created.Header("Location") << "\"; " << Describe(created);

  Reply read = Send(api, "GET", "/people/" + id);
  if (ExpectStatus(read, 200)) {
    EXPECT_EQ(JsonBody(read), person) << Describe(read);
    EXPECT_EQ(ExpectETag(read), created_etag) << Describe(read);
  }

  // PUT replaces every field: what it leaves out is cleared.
  WaitUntilClockPasses(Text(person, "updated_at"));
  json replacement = PersonBody("Augusta Ada", "King", email);
  Reply replaced = Send(api, "PUT", "/people/" + id, replacement.dump());
  std::string etag = created_etag;
  if (ExpectStatus(replaced, 200)) {
    json after = JsonBody(replaced);
    replacement["date_of_birth"] = nullptr;
    replacement["address"] = nullptr;
    replacement["id"] = person["id"];
    replacement["created_at"] = person["created_at"];
    ExpectPersonFields(replaced, after, replacement);
    EXPECT_GT(Text(after, "updated_at"), Text(person, "updated_at"))
        << "updated_at did not move; " << Describe(replaced);
    etag = ExpectETag(replaced);
    EXPECT_NE(etag, created_etag) << "ETag did not change; " << Describe(replaced);
    person = after;
  }

  // PATCH is a JSON merge patch (RFC 7386): present members replace, null clears, absent
  // members stay.
  WaitUntilClockPasses(Text(person, "updated_at"));
  http::Headers merge_patch;
  merge_patch.Set("Content-Type", "application/merge-patch+json");
  Reply patched =
      Send(api, "PATCH", "/people/" + id,
           R"({"address": "Ockham Park, Surrey", "last_name": "Lovelace"})", merge_patch);
  if (ExpectStatus(patched, 200)) {
    json after = JsonBody(patched);
    json expected = person;
    expected["address"] = "Ockham Park, Surrey";
    expected["last_name"] = "Lovelace";
    expected.erase("updated_at");
    ExpectPersonFields(patched, after, expected);
    EXPECT_GT(Text(after, "updated_at"), Text(person, "updated_at"))
        << "updated_at did not move; " << Describe(patched);
    std::string patched_etag = ExpectETag(patched);
    EXPECT_NE(patched_etag, etag) << "ETag did not change; " << Describe(patched);
    etag = patched_etag;
  }
  Reply cleared = Send(api, "PATCH", "/people/" + id, R"({"address": null})", merge_patch);
  if (ExpectStatus(cleared, 200)) {
    json after = JsonBody(cleared);
    ExpectPersonFields(cleared, after, {{"address", nullptr}, {"last_name", "Lovelace"}});
  }

  Reply deleted = Send(api, "DELETE", "/people/" + id);
  if (ExpectStatus(deleted, 204)) {
    EXPECT_EQ(deleted.body, "") << Describe(deleted);
  }
  ExpectError(Send(api, "GET", "/people/" + id), 404, {});
  ExpectError(Send(api, "DELETE", "/people/" + id), 404, {});
  ExpectError(Send(api, "PATCH", "/people/" + id, R"({"address": "x"})"), 404, {});
}

void CheckNotFound(const http::Url& api) {
  // The largest id SQLite can hold: nobody has it until the registry has made 2^63 people.
  ExpectError(Send(api, "GET", "/people/9223372036854775807"), 404, {});
  ExpectError(Send(api, "GET", "/people/not-a-number"), 404, {});
  ExpectError(Send(api, "GET", "/no-such-route"), 404, {});
}

// limit/offset pages over exactly the matching people (with total, limit and offset in every
// page); the name filter matches part of a first or last name, ignoring case; bad paging is
// 400 naming the parameter.
void CheckList(const http::Url& api) {
  CreatedPeople people(api);
  // A surname only this run uses, so that the filter selects exactly our three people.
  static std::atomic<int> runs{0};
  const std::string surname = "Contract" + ProcessTag() + std::to_string(++runs);
  std::set<std::string> emails;
  for (const char* first : {"Grace", "Edsger", "Barbara"}) {
    std::string email = UniqueEmail("list");
    if (people.CreateId(PersonBody(first, surname, email)).empty()) return;
    emails.insert(email);
  }
  // Part of the name, in another case.
  const std::string upper = Upper(surname.substr(1));

  std::set<std::string> seen;
  for (int offset : {0, 2, 3}) {
    Reply page =
        Send(api, "GET",
             "/people?name=" + EncodeQuery(upper) + "&limit=2&offset=" + std::to_string(offset));
    if (!ExpectStatus(page, 200)) continue;
    json body = JsonBody(page);
    if (!Member(body, "items").is_array()) {
      ADD_FAILURE() << "no items array; " << Describe(page);
      continue;
    }
    EXPECT_EQ(Member(body, "total"), 3) << Describe(page);
    EXPECT_EQ(Member(body, "limit"), 2) << Describe(page);
    EXPECT_EQ(Member(body, "offset"), offset) << Describe(page);
    EXPECT_EQ(body["items"].size(), size_t(std::min(2, 3 - offset))) << Describe(page);
    for (const json& item : body["items"]) {
      ExpectPersonFields(page, item, {{"last_name", surname}});
      std::string email = Text(item, "email");
      EXPECT_TRUE(seen.insert(email).second) << email << " is on two pages; " << Describe(page);
    }
  }
  EXPECT_EQ(seen, emails) << "the pages of ?name=" << upper;

  // A first name matches too, and the default page is limit 20 from offset 0.
  Reply grace = Send(api, "GET", "/people?name=grac");
  if (ExpectStatus(grace, 200)) {
    json body = JsonBody(grace);
    EXPECT_EQ(Member(body, "limit"), 20) << Describe(grace);
    EXPECT_EQ(Member(body, "offset"), 0) << Describe(grace);
    bool found = false;
    const json items = Member(body, "items").is_array() ? body["items"] : json::array();
    for (const json& item : items) {
      found = found || Text(item, "last_name") == surname;
    }
    // Other Graces may exist and fill the page; ours is there unless the page is full.
    if (items.size() < 20) {
      EXPECT_TRUE(found) << "?name=grac misses Grace " << surname << "; " << Describe(grace);
    }
  }
  Reply everybody = Send(api, "GET", "/people?limit=1");
  if (ExpectStatus(everybody, 200)) {
    json body = JsonBody(everybody);
    EXPECT_GE(Member(body, "total").is_number_integer() ? body["total"].get<int64_t>() : 0, 3)
        << Describe(everybody);
    EXPECT_TRUE(Member(body, "items").is_array() && body["items"].size() == 1)
        << Describe(everybody);
  }

  ExpectError(Send(api, "GET", "/people?limit=0"), 400, {"limit"});
  ExpectError(Send(api, "GET", "/people?limit=101"), 400, {"limit"});
  ExpectError(Send(api, "GET", "/people?limit=ten"), 400, {"limit"});
  ExpectError(Send(api, "GET", "/people?offset=-1"), 400, {"offset"});
}

// 400 for bodies that are not JSON, not an object, or have a member of the wrong type or
// an unknown member; 422 naming every invalid value at once; nobody is created by either.
void CheckValidation(const http::Url& api) {
  CreatedPeople people(api);
  const std::string email = UniqueEmail("invalid");
  ExpectError(people.Create(json::parse("[1, 2]")), 400, {});
  Reply not_json = Send(api, "POST", "/people", R"({"first_name": "Ada",)");
  ExpectError(not_json, 400, {});
  json wrong_type = PersonBody("Ada", "Lovelace", email);
  wrong_type["first_name"] = 1815;
  ExpectError(people.Create(wrong_type), 400, {"first_name"});
  json unknown = PersonBody("Ada", "Lovelace", email);
  unknown["nickname"] = "Enchantress of Number";
  ExpectError(people.Create(unknown), 400, {"nickname"});

  json invalid = {
      {"last_name", "Lovelace"}, {"email", "not an email"}, {"date_of_birth", "1815-02-30"}};
  ExpectError(people.Create(invalid), 422, {"first_name", "email", "date_of_birth"});
  json future = PersonBody("Ada", "Lovelace", email);
  future["date_of_birth"] = "2999-01-01";
  ExpectError(people.Create(future), 422, {"date_of_birth"});
  const std::vector<std::string> lovelaces = ListEmails(api, "Lovelace");
  EXPECT_EQ(std::ranges::count(lovelaces, email), 0) << "a refused POST created " << email;

  // The same rules hold for PUT and PATCH, and a refused write changes nothing.
  const std::string id = people.CreateId(PersonBody("Ada", "Lovelace", email));
  if (id.empty()) return;
  json before = GetPerson(api, id);
  ExpectError(Send(api, "PUT", "/people/" + id, "{not json"), 400, {});
  ExpectError(Send(api, "PATCH", "/people/" + id, R"({"email": 42})"), 400, {"email"});
  ExpectError(Send(api, "PUT", "/people/" + id, json{{"first_name", "Ada"}}.dump()), 422,
              {"last_name", "email"});
  ExpectError(Send(api, "PATCH", "/people/" + id, R"({"first_name": " ", "email": "a@b"})"), 422,
              {"first_name", "email"});
  EXPECT_EQ(GetPerson(api, id), before) << "a refused write changed person " << id;
}

// 409 when an email belongs to somebody else, compared without regard to case, for POST, PUT
// and PATCH; a person may keep (or re-case) their own email.
void CheckDuplicateEmail(const http::Url& api) {
  CreatedPeople people(api);
  const std::string email = UniqueEmail("taken");
  const std::string upper = Upper(email);
  if (people.CreateId(PersonBody("Ada", "Lovelace", email)).empty()) return;
  ExpectError(people.Create(PersonBody("Ada", "Byron", upper)), 409, {"email"});

  const std::string other = people.CreateId(PersonBody("Anne", "Byron", UniqueEmail("other")));
  if (other.empty()) return;
  ExpectError(Send(api, "PUT", "/people/" + other, PersonBody("Anne", "Byron", upper).dump()), 409,
              {"email"});
  ExpectError(Send(api, "PATCH", "/people/" + other, json{{"email", email}}.dump()), 409,
              {"email"});
  ExpectStatus(Send(api, "PATCH", "/people/" + other, R"({"last_name": "Milbanke"})"), 200);
}

// If-Match: a stale or weak ETag is 412 (with the current ETag) for PUT, PATCH and DELETE and
// changes nothing; the current ETag succeeds.
void CheckIfMatch(const http::Url& api) {
  CreatedPeople people(api);
  const std::string email = UniqueEmail("ifmatch");
  Reply created = people.Create(PersonBody("Charles", "Babbage", email));
  if (!ExpectStatus(created, 201)) return;
  const std::string id = IdText(JsonBody(created));
  const std::string stale = ExpectETag(created);
  Reply first =
      Send(api, "PATCH", "/people/" + id, R"({"address": "Dorset Street"})", IfMatch(stale));
  if (!ExpectStatus(first, 200) || id.empty()) return;
  const std::string current = ExpectETag(first);
  const json before = GetPerson(api, id);

  for (const char* method : {"PUT", "PATCH"}) {
    Reply refused = Send(api, method, "/people/" + id,
                         PersonBody("Charles", "Babbage", email).dump(), IfMatch(stale));
    ExpectError(refused, 412, {});
    if (refused.status == 412) {
      EXPECT_EQ(refused.Header("ETag"), current)
          << "412 without the current ETag; " << Describe(refused);
    }
  }
  ExpectError(Send(api, "PATCH", "/people/" + id, "{}", IfMatch("W/" + current)), 412, {});
  ExpectError(Send(api, "DELETE", "/people/" + id, "", IfMatch(stale)), 412, {});
  EXPECT_EQ(GetPerson(api, id), before) << "a 412 changed person " << id;

  Reply put = Send(api, "PUT", "/people/" + id, PersonBody("Charles", "Babbage", email).dump(),
                   IfMatch(stale + ", " + current));
  if (ExpectStatus(put, 200)) {
    ExpectStatus(Send(api, "DELETE", "/people/" + id, "", IfMatch(ExpectETag(put))), 204);
  }
}

// N writers PATCH one person with the same ETag at once: exactly one wins (200), the others
// get 412, and the person ends as the winner wrote it.
void CheckConcurrentIfMatch(const http::Url& api) {
  CreatedPeople people(api);
  Reply created = people.Create(PersonBody("Tony", "Hoare", UniqueEmail("concurrent")));
  if (!ExpectStatus(created, 201)) return;
  const std::string id = IdText(JsonBody(created));
  const std::string etag = ExpectETag(created);
  if (id.empty() || etag.empty()) return;

  std::vector<Reply> replies(kConcurrentWriters);
  std::latch start(kConcurrentWriters);
  std::vector<std::thread> writers;
  for (int i = 0; i < kConcurrentWriters; ++i) {
    writers.emplace_back([&, i] {
      json patch = {{"address", "writer " + std::to_string(i)}};
      start.arrive_and_wait();  // all requests leave together
      replies[size_t(i)] = Send(api, "PATCH", "/people/" + id, patch.dump(), IfMatch(etag));
    });
  }
  for (std::thread& writer : writers) writer.join();

  std::optional<int> winner;
  int refused = 0;
  for (int i = 0; i < kConcurrentWriters; ++i) {
    const Reply& reply = replies[size_t(i)];
    if (reply.status == 200) {
      EXPECT_FALSE(winner) << "writers " << *winner << " and " << i << " both won; "
                           << Describe(reply);
      winner = i;
    } else if (reply.status == 412) {
      ++refused;
    } else {
      ADD_FAILURE() << "writer " << i << ": " << Describe(reply);
    }
  }
  EXPECT_TRUE(winner) << "no writer won";
  EXPECT_EQ(refused, kConcurrentWriters - 1) << "writers refused with 412";
  if (!winner) return;
  Reply final_state = Send(api, "GET", "/people/" + id);
  if (ExpectStatus(final_state, 200)) {
    EXPECT_EQ(Member(JsonBody(final_state), "address"), "writer " + std::to_string(*winner))
        << Describe(final_state);
    EXPECT_EQ(final_state.Header("ETag"), replies[size_t(*winner)].Header("ETag"))
        << Describe(final_state);
  }
}

// 405 with Allow listing the methods a resource has; 413 for a body over 64 KiB.
void CheckMethodsAndLimits(const http::Url& api) {
  CreatedPeople people(api);
  const std::string id = people.CreateId(PersonBody("Niklaus", "Wirth", UniqueEmail("limits")));
  struct Case {
    const char* method;
    std::string target;
    std::vector<std::string> allowed;
  };
  for (const Case& check : {Case{"DELETE", "/people", {"GET", "POST"}},
                            Case{"POST", "/people/" + id, {"GET", "PUT", "PATCH", "DELETE"}},
                            Case{"POST", "/health", {"GET"}}}) {
    Reply reply = Send(api, check.method, check.target);
    ExpectError(reply, 405, {});
    std::string allow = reply.Header("Allow");
    for (const std::string& method : check.allowed) {
      EXPECT_NE(allow.find(method), std::string::npos)
          << "Allow \"" << allow << "\" lacks " << method << "; " << Describe(reply);
    }
  }

  json huge = PersonBody("Niklaus", "Wirth", UniqueEmail("huge"));
  huge["address"] = std::string(kBodyLimitBytes, 'x');
  Reply too_large = people.Create(huge);
  ExpectError(too_large, 413, {});
  if (!id.empty()) {
    json big_patch = {{"address", std::string(kBodyLimitBytes, 'y')}};
    ExpectError(Send(api, "PATCH", "/people/" + id, big_patch.dump()), 413, {});
  }
}

}  // namespace

std::string UniqueEmail(std::string_view tag) {
  static std::atomic<uint64_t> counter{0};
  std::string email;
  for (char c : tag) email += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return email + "-" + ProcessTag() + "-" + std::to_string(++counter) + "@contract.example";
}

std::string CreatePerson(const http::Url& api, const std::string& first_name,
                         const std::string& last_name, const std::string& email) {
  Reply reply = Send(api, "POST", "/people", PersonBody(first_name, last_name, email).dump());
  if (!ExpectStatus(reply, 201)) return "";
  std::string id = IdText(JsonBody(reply));
  EXPECT_FALSE(id.empty()) << "no integer id; " << Describe(reply);
  return id;
}

json GetPerson(const http::Url& api, const std::string& id) {
  Reply reply = Send(api, "GET", "/people/" + id);
  if (!ExpectStatus(reply, 200)) return nullptr;
  json person = JsonBody(reply);
  if (!person.is_object()) {
    ADD_FAILURE() << "not a JSON object; " << Describe(reply);
    return nullptr;
  }
  return person;
}

bool DeletePerson(const http::Url& api, const std::string& id) {
  return ExpectStatus(Send(api, "DELETE", "/people/" + id), 204);
}

std::vector<std::string> ListEmails(const http::Url& api, std::string_view name_filter) {
  constexpr int kPage = 100;
  std::vector<std::string> emails;
  for (int64_t offset = 0;; offset += kPage) {
    Reply page = Send(api, "GET",
                      "/people?name=" + EncodeQuery(name_filter) +
                          "&limit=" + std::to_string(kPage) + "&offset=" + std::to_string(offset));
    if (!ExpectStatus(page, 200)) return emails;
    json body = JsonBody(page);
    if (!body.is_object() || !body.contains("items") || !body["items"].is_array() ||
        !Member(body, "total").is_number_integer()) {
      ADD_FAILURE() << "no items and total; " << Describe(page);
      return emails;
    }
    for (const json& item : body["items"]) emails.push_back(Text(item, "email"));
    if (body["items"].empty() || offset + kPage >= body["total"].get<int64_t>()) return emails;
  }
}

void ExpectPeopleContract(const http::Url& api) {
  SCOPED_TRACE("people API contract at " + api.ToString());
  // Each check is traced by name, so that a failure says which promise it belongs to.
  struct Check {
    const char* name;
    void (*run)(const http::Url&);
  };
  for (const Check& check :
       {Check{"health", CheckHealth}, Check{"create, read, replace, patch, delete", CheckLifecycle},
        Check{"unknown ids and routes", CheckNotFound},
        Check{"list: pagination and name filter", CheckList}, Check{"400 and 422", CheckValidation},
        Check{"409 duplicate email", CheckDuplicateEmail}, Check{"If-Match", CheckIfMatch},
        Check{"If-Match under concurrent writers", CheckConcurrentIfMatch},
        Check{"405 and 413", CheckMethodsAndLimits}}) {
    SCOPED_TRACE(check.name);
    check.run(api);
  }
}

}  // namespace lockstep::testing
