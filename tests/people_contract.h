// Contract checks for the registry example's people API (examples/registry/registry-api),
// written so that an integration test can run them against the API wherever it is served:
// directly on its own port, or behind lockstep's gateway under a prefix such as /api.
//
// The checks share the database with whatever else is running: they never assume it is
// empty, make every email unique (a per-process random tag and a counter), look only at the
// people they created, and delete those people before returning, also when a check failed.
// Every broken promise is reported with gtest's non-fatal failures (ADD_FAILURE, EXPECT_*),
// naming the request (method and URL), the status and the start of the body, so one run
// reports everything that is wrong. Each request is bounded by a timeout of 10 s.
//
// The functions are thread-safe (each request is a connection of its own), as long as gtest's
// assertions are (they are with pthreads).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "http/client.h"

namespace lockstep::testing {

// Checks every status code the people API promises at `api` (the base URL under which
// /people and /health are served, e.g. http://127.0.0.1:8080/api): create, read, replace,
// merge patch, delete, list (pagination and name filter), 400, 404, 405 (with Allow), 409,
// 412 (If-Match, also under 8 concurrent writers), 413, 422 and /health. Cleans up the
// people it created.
void ExpectPeopleContract(const http::Url& api);

// An email no other caller has used: "TAG-<random>-<counter>@contract.example", in lower
// case. Unique across processes with overwhelming probability and within one for certain.
std::string UniqueEmail(std::string_view tag = "person");

// POSTs a person with these fields to /people. Returns the new id as text (e.g. "17"), or ""
// after reporting a failure when the answer is not 201 with an integer id.
std::string CreatePerson(const http::Url& api, const std::string& first_name,
                         const std::string& last_name, const std::string& email);

// GETs /people/{id}. Returns the person's JSON object, or null after reporting a failure when
// the answer is not 200 with a JSON object.
nlohmann::json GetPerson(const http::Url& api, const std::string& id);

// DELETEs /people/{id}. True on 204; otherwise reports a failure and returns false.
bool DeletePerson(const http::Url& api, const std::string& id);

// The emails of every person whose first or last name contains `name_filter` (ignoring case;
// "" lists everybody), walking every page of GET /people?name=…&limit=100&offset=….
// Reports a failure and returns what it had when a page is not a 200 with items.
std::vector<std::string> ListEmails(const http::Url& api, std::string_view name_filter);

}  // namespace lockstep::testing
