#include "runtime/route_table.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

namespace lockstep::runtime {
namespace {

class RouteTableTest : public ::testing::Test {
 protected:
  RouteTable Build(std::vector<Route> routes) {
    Result<RouteTable> table = RouteTable::Make(std::move(routes));
    EXPECT_TRUE(table.has_value()) << table.error().ToString();
    return table ? std::move(*table) : RouteTable();
  }

  std::string MakeError(std::vector<Route> routes) {
    Result<RouteTable> table = RouteTable::Make(std::move(routes));
    if (table) return "(no error)";
    EXPECT_EQ(table.error().code(), ErrorCode::kInvalidArgument);
    return table.error().message();
  }

  // "service target" for a match, "-" for none: one string to compare exactly.
  static std::string Lookup(const RouteTable& table, std::string_view host,
                            std::string_view target) {
    std::optional<RouteMatch> match = table.Match(host, target);
    if (!match) return "-";
    return match->route->service + " " + match->upstream_target;
  }
};

TEST_F(RouteTableTest, PrefixMatchesAtSegmentBoundariesOnly) {
  RouteTable table = Build({{.service = "api", .path_prefix = "/api"}});
  EXPECT_EQ(Lookup(table, "", "/api"), "api /api");
  EXPECT_EQ(Lookup(table, "", "/api/"), "api /api/");
  EXPECT_EQ(Lookup(table, "", "/api/x/y"), "api /api/x/y");
  EXPECT_EQ(Lookup(table, "", "/api?x=1"), "api /api?x=1");
  EXPECT_EQ(Lookup(table, "", "/apix"), "-");
  EXPECT_EQ(Lookup(table, "", "/ap"), "-");
  EXPECT_EQ(Lookup(table, "", "/API"), "-");
  EXPECT_EQ(Lookup(table, "", "/"), "-");
}

TEST_F(RouteTableTest, RootPrefixMatchesEverything) {
  RouteTable table = Build({{.service = "site", .path_prefix = "/"}});
  EXPECT_EQ(Lookup(table, "example.com", "/"), "site /");
  EXPECT_EQ(Lookup(table, "", "/anything/at/all?q"), "site /anything/at/all?q");
  EXPECT_EQ(Lookup(table, "", "/?q"), "site /?q");
}

TEST_F(RouteTableTest, OnlyOriginFormTargetsMatch) {
  RouteTable table = Build({{.service = "site", .path_prefix = "/"}});
  EXPECT_EQ(Lookup(table, "", "*"), "-");
  EXPECT_EQ(Lookup(table, "", "http://example.com/"), "-");
  EXPECT_EQ(Lookup(table, "", ""), "-");
}

TEST_F(RouteTableTest, LongestPrefixWins) {
  RouteTable table = Build({{.service = "site", .path_prefix = "/"},
                            {.service = "api", .path_prefix = "/api"},
                            {.service = "people", .path_prefix = "/api/people"}});
  EXPECT_EQ(Lookup(table, "", "/api/people/7"), "people /api/people/7");
  EXPECT_EQ(Lookup(table, "", "/api/peoplex"), "api /api/peoplex");
  EXPECT_EQ(Lookup(table, "", "/api/orders"), "api /api/orders");
  EXPECT_EQ(Lookup(table, "", "/index.html"), "site /index.html");
}

TEST_F(RouteTableTest, HostRouteTakesPartOnlyWhenTheHostMatches) {
  RouteTable table = Build({{.service = "any", .path_prefix = "/api"},
                            {.service = "shop", .path_prefix = "/api", .host = "Shop.Example"}});
  EXPECT_EQ(Lookup(table, "shop.example", "/api/x"), "shop /api/x");
  EXPECT_EQ(Lookup(table, "SHOP.example:8080", "/api/x"), "shop /api/x");
  EXPECT_EQ(Lookup(table, "shop.example.", "/api/x"), "shop /api/x");
  EXPECT_EQ(Lookup(table, "blog.example", "/api/x"), "any /api/x");
  EXPECT_EQ(Lookup(table, "", "/api/x"), "any /api/x");
  EXPECT_EQ(Lookup(table, "shop.example.org", "/api/x"), "any /api/x");
  EXPECT_EQ(Lookup(table, "[::1]:8080", "/api/x"), "any /api/x");
}

TEST_F(RouteTableTest, HostOnlyRoutesLeaveOtherHostsUnrouted) {
  RouteTable table = Build({{.service = "shop", .path_prefix = "/", .host = "shop.example"}});
  EXPECT_EQ(Lookup(table, "shop.example", "/"), "shop /");
  EXPECT_EQ(Lookup(table, "other.example", "/"), "-");
  EXPECT_EQ(Lookup(table, "", "/"), "-");
}

TEST_F(RouteTableTest, LongerHostlessPrefixBeatsShorterHostPrefix) {
  // Prefix length decides first; the host only breaks ties.
  RouteTable table = Build({{.service = "shop", .path_prefix = "/", .host = "shop.example"},
                            {.service = "api", .path_prefix = "/api"}});
  EXPECT_EQ(Lookup(table, "shop.example", "/api/x"), "api /api/x");
  EXPECT_EQ(Lookup(table, "shop.example", "/cart"), "shop /cart");
}

TEST_F(RouteTableTest, StripPrefixKeepsALeadingSlashAndTheQuery) {
  RouteTable table = Build({{.service = "api", .path_prefix = "/api", .strip_prefix = true},
                            {.service = "root", .path_prefix = "/", .strip_prefix = true}});
  EXPECT_EQ(Lookup(table, "", "/api/people?x=1"), "api /people?x=1");
  EXPECT_EQ(Lookup(table, "", "/api"), "api /");
  EXPECT_EQ(Lookup(table, "", "/api/"), "api /");
  EXPECT_EQ(Lookup(table, "", "/api?x=1&y=/api"), "api /?x=1&y=/api");
  EXPECT_EQ(Lookup(table, "", "/api//x"), "api //x");
  EXPECT_EQ(Lookup(table, "", "/other?q"), "root /other?q");
}

TEST_F(RouteTableTest, MakeNormalisesTrailingSlashAndHostCase) {
  RouteTable table = Build({{.service = "api", .path_prefix = "/api/", .host = "API.Example.COM"}});
  ASSERT_EQ(table.routes().size(), 1u);
  EXPECT_EQ(table.routes()[0].path_prefix, "/api");
  EXPECT_EQ(table.routes()[0].host, "api.example.com");
  EXPECT_EQ(Lookup(table, "api.example.com", "/api"), "api /api");
}

TEST_F(RouteTableTest, MakeOrdersRoutesByPrecedence) {
  RouteTable table = Build({{.service = "a", .path_prefix = "/"},
                            {.service = "b", .path_prefix = "/x", .host = "h.example"},
                            {.service = "c", .path_prefix = "/x"},
                            {.service = "d", .path_prefix = "/long"}});
  std::vector<std::string> order;
  for (const auto& route : table.routes()) order.push_back(route.service);
  EXPECT_EQ(order, (std::vector<std::string>{"d", "b", "c", "a"}));
}

TEST_F(RouteTableTest, DuplicatePrefixOnTheSameHostNamesBothServices) {
  EXPECT_EQ(MakeError({{.service = "one", .path_prefix = "/api"},
                       {.service = "two", .path_prefix = "/api/"}}),
            "route \"/api\" is claimed by both service \"one\" and service \"two\"");
  EXPECT_EQ(MakeError({{.service = "one", .path_prefix = "/", .host = "a.example"},
                       {.service = "two", .path_prefix = "/", .host = "A.example"}}),
            "route \"/\" on host \"a.example\" is claimed by both service \"one\" and service "
            "\"two\"");
  // The same prefix on different hosts, or on a host and on any host, is fine.
  EXPECT_EQ(MakeError({{.service = "one", .path_prefix = "/", .host = "a.example"},
                       {.service = "two", .path_prefix = "/", .host = "b.example"},
                       {.service = "three", .path_prefix = "/"}}),
            "(no error)");
}

TEST_F(RouteTableTest, BadPrefixesAreRefusedWithTheRule) {
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "api"}}),
            "service \"s\": path prefix \"api\" must start with '/'");
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = ""}}),
            "service \"s\": path prefix \"\" must start with '/'");
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "/api?x"}}),
            "service \"s\": path prefix \"/api?x\" must not contain '?' or '#'");
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "/a#b"}}),
            "service \"s\": path prefix \"/a#b\" must not contain '?' or '#'");
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "/a/../b"}}),
            "service \"s\": path prefix \"/a/../b\" must not have \".\" or \"..\" segments");
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "/.."}}),
            "service \"s\": path prefix \"/..\" must not have \".\" or \"..\" segments");
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "/a//b"}}),
            "service \"s\": path prefix \"/a//b\" has an empty segment (\"//\")");
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "/a%20b"}}),
            "service \"s\": path prefix \"/a%20b\" must not be percent-encoded; write the "
            "characters themselves");
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "/a b"}}),
            "service \"s\": path prefix \"/a b\" has a character not allowed in a URL path: ' '");
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "/a\\b"}}),
            "service \"s\": path prefix \"/a\\b\" has a character not allowed in a URL path: "
            "'\\'");
  EXPECT_EQ(MakeError({{.service = "", .path_prefix = "/"}}), "route \"/\" has no service");
}

TEST_F(RouteTableTest, BadHostsAreRefusedWithTheRule) {
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "/", .host = "Example.com:8080"}}),
            "service \"s\": host \"example.com:8080\" must not have a port: routes match the "
            "Host header with its port ignored");
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "/", .host = "*.example.com"}}),
            "service \"s\": host \"*.example.com\" is not a DNS name: '*' is not a letter, "
            "digit, '-' or '.' (no wildcards)");
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "/", .host = "a..example"}}),
            "service \"s\": host \"a..example\" is not a DNS name: each dot-separated label "
            "must have 1 to 63 characters");
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "/", .host = "-a.example"}}),
            "service \"s\": host \"-a.example\" is not a DNS name: a label must not start or "
            "end with '-'");
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "/", .host = std::string(64, 'a')}}),
            "service \"s\": host \"" + std::string(64, 'a') +
                "\" is not a DNS name: each dot-separated label must have 1 to 63 characters");
  EXPECT_EQ(MakeError({{.service = "s", .path_prefix = "/", .host = "127.0.0.1"}}), "(no error)");
}

TEST_F(RouteTableTest, EmptyTableMatchesNothing) {
  RouteTable table = Build({});
  EXPECT_EQ(Lookup(table, "", "/"), "-");
  EXPECT_EQ(Lookup(RouteTable(), "", "/"), "-");
}

TEST_F(RouteTableTest, ManyLookupsAreCheap) {
  // Not a timing assertion (sanitizer builds vary too much); it prints the rate for the
  // report and checks every lookup found the route it should.
  std::vector<Route> routes;
  for (int i = 0; i < 20; ++i) {
    routes.push_back({.service = "s" + std::to_string(i),
                      .path_prefix = "/svc" + std::to_string(i),
                      .strip_prefix = true});
  }
  routes.push_back({.service = "site", .path_prefix = "/", .host = "www.example"});
  RouteTable table = Build(std::move(routes));
  constexpr int kLookups = 200000;
  size_t found = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kLookups; ++i) {
    std::optional<RouteMatch> match =
        table.Match("www.example:8080", i % 2 ? "/svc19/people/42?page=2" : "/about/team");
    if (match) found += match->upstream_target.size();
  }
  std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(found, static_cast<size_t>(kLookups / 2) * (sizeof("/people/42?page=2") - 1) +
                       static_cast<size_t>(kLookups / 2) * (sizeof("/about/team") - 1));
  std::printf("route lookups: %.0f per second (21 routes)\n", kLookups / elapsed.count());
}

}  // namespace
}  // namespace lockstep::runtime
