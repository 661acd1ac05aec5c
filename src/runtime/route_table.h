// The gateway's routing: which service answers a request, and with which request-target.
//
// A RouteTable is built once from a list of routes, validated, and is immutable afterwards;
// Match is a pure function of the table and the request's Host header and request-target, so
// it is tested without sockets. The server changes routing by building a new table and
// swapping whole tables atomically: sessions hold a `std::shared_ptr<const RouteTable>` taken
// at the start of a request (std::atomic<std::shared_ptr<const RouteTable>> or a mutex around
// the pointer), so a request never sees half of a change. A const RouteTable is safe to use
// from any number of threads at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/error.h"

namespace lockstep::runtime {

// One service's claim on part of the URL space. (The "= {}" initialisers let designated
// initialisers leave fields out without -Wmissing-field-initializers.)
struct Route {
  // The service that answers; never empty.
  std::string service = {};
  // A path prefix starting with '/', matched at segment boundaries against the raw
  // (percent-encoded, case-sensitive) request path: "/api" matches "/api", "/api/",
  // "/api/x" and "/api?x", never "/apix". "/" matches every path. A trailing '/' is dropped
  // by RouteTable::Make ("/api/" is stored as "/api"). No '?', '#', '%', '\', empty, "." or
  // ".." segments.
  std::string path_prefix = {};
  // The host this route is for, a DNS name without port, compared case-insensitively with
  // the Host header (whose ":port" is ignored); RouteTable::Make stores it lower-cased.
  // Empty: any host.
  std::string host = {};
  // Whether the prefix is removed from the target passed upstream ("/api/people?x=1" with
  // prefix "/api" goes upstream as "/people?x=1"; "/api" as "/").
  bool strip_prefix = false;

  bool operator==(const Route&) const = default;
};

// The result of a successful match.
struct RouteMatch {
  // The route that matched; points into the RouteTable, valid as long as that table lives.
  const Route* route = nullptr;
  // The request-target to send upstream: the original target, or with strip_prefix the
  // target without the prefix, always starting with '/', the query string kept as sent.
  std::string upstream_target;
};

class RouteTable {
 public:
  // An empty table: Match always returns nullopt.
  RouteTable() = default;

  // Validates and normalises `routes` (see Route for the rules) and builds a table.
  // Fails with kInvalidArgument naming the service and the rule broken, e.g. when two
  // services claim the same prefix on the same host (both are named).
  [[nodiscard]] static Result<RouteTable> Make(std::vector<Route> routes);

  // The route for a request, or nullopt when none matches (the gateway answers 404).
  //
  // `host_header` is the Host header as received (port and case do not matter; empty when
  // absent). `target` is the request-target in origin form ("/path?query"); any other form
  // ("*", absolute-form) matches nothing. The longest matching prefix wins; a route with a
  // host takes part only when the host matches, and among routes of equal prefix length a
  // host-specific one beats a host-less one. Allocates only the upstream target.
  std::optional<RouteMatch> Match(std::string_view host_header, std::string_view target) const;

  // The routes in match order: longest prefix first, host-specific first among equals.
  const std::vector<Route>& routes() const { return routes_; }

 private:
  explicit RouteTable(std::vector<Route> routes) : routes_(std::move(routes)) {}

  std::vector<Route> routes_;
};

}  // namespace lockstep::runtime
