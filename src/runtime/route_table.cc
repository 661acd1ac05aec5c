#include "runtime/route_table.h"

#include <fmt/core.h>

#include <algorithm>

#include "base/strings.h"

namespace lockstep::runtime {
namespace {

// Characters allowed in a prefix segment: RFC 3986 pchar without pct-encoded, so a prefix is
// compared byte for byte with what clients send for the same path.
bool IsPrefixChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("-._~!$&'()*+,;=:@").find(c) != std::string_view::npos;
}

std::string Describe(const Route& route) {
  return route.host.empty() ? fmt::format("\"{}\"", route.path_prefix)
                            : fmt::format("\"{}\" on host \"{}\"", route.path_prefix, route.host);
}

Result<void> NormalisePrefix(Route& route) {
  std::string& prefix = route.path_prefix;
  auto invalid = [&](std::string_view why) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("service \"{}\": path prefix \"{}\" {}", route.service, prefix, why));
  };
  if (prefix.empty() || prefix.front() != '/') return invalid("must start with '/'");
  if (prefix.size() > 1 && prefix.back() == '/') prefix.pop_back();
  if (prefix == "/") return {};
  for (char c : prefix) {
    if (c == '?' || c == '#') return invalid("must not contain '?' or '#'");
    if (c == '%') return invalid("must not be percent-encoded; write the characters themselves");
    if (c != '/' && !IsPrefixChar(c)) {
      return invalid(fmt::format("has a character not allowed in a URL path: '{}'", c));
    }
  }
  size_t start = 1;
  while (start <= prefix.size()) {
    size_t end = prefix.find('/', start);
    if (end == std::string::npos) end = prefix.size();
    std::string_view segment = std::string_view(prefix).substr(start, end - start);
    if (segment.empty()) return invalid("has an empty segment (\"//\")");
    if (segment == "." || segment == "..") return invalid("must not have \".\" or \"..\" segments");
    start = end + 1;
  }
  return {};
}

// A DNS name: labels of letters, digits and '-', not starting or ending with '-', 1 to 63
// bytes each, 253 in all. IPv4 literals pass too, which is what we want.
Result<void> NormaliseHost(Route& route) {
  if (route.host.empty()) return {};
  std::string& host = route.host;
  host = AsciiLower(host);
  auto invalid = [&](std::string_view why) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("service \"{}\": host \"{}\" {}", route.service, host, why));
  };
  if (host.find(':') != std::string::npos) {
    return invalid("must not have a port: routes match the Host header with its port ignored");
  }
  if (host.size() > 253) return invalid("is longer than 253 characters");
  size_t start = 0;
  while (true) {
    size_t end = host.find('.', start);
    if (end == std::string::npos) end = host.size();
    std::string_view label = std::string_view(host).substr(start, end - start);
    if (label.empty() || label.size() > 63) {
      return invalid("is not a DNS name: each dot-separated label must have 1 to 63 characters");
    }
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return invalid(fmt::format(
            "is not a DNS name: '{}' is not a letter, digit, '-' or '.' (no wildcards)", c));
      }
    }
    if (label.front() == '-' || label.back() == '-') {
      return invalid("is not a DNS name: a label must not start or end with '-'");
    }
    if (end == host.size()) break;
    start = end + 1;
  }
  return {};
}

// The host part of a Host header: without ":port" (also after an IPv6 literal "[::1]:80")
// and without one trailing dot, as "example.com." names the same host.
std::string_view HostWithoutPort(std::string_view header) {
  if (!header.empty() && header.front() == '[') {
    size_t close = header.find(']');
    return close == std::string_view::npos ? header : header.substr(0, close + 1);
  }
  if (size_t colon = header.find(':'); colon != std::string_view::npos) {
    header = header.substr(0, colon);
  }
  if (!header.empty() && header.back() == '.') header.remove_suffix(1);
  return header;
}

bool EqualsIgnoringAsciiCase(std::string_view header_host, std::string_view lower) {
  if (header_host.size() != lower.size()) return false;
  for (size_t i = 0; i < lower.size(); ++i) {
    char c = header_host[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Whether `prefix` (normalised: no trailing '/' unless it is "/") covers `path` at a segment
// boundary.
bool PrefixMatches(std::string_view prefix, std::string_view path) {
  if (!path.starts_with(prefix)) return false;
  return prefix.size() == 1 || path.size() == prefix.size() || path[prefix.size()] == '/';
}

}  // namespace

Result<RouteTable> RouteTable::Make(std::vector<Route> routes) {
  for (Route& route : routes) {
    if (route.service.empty()) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("route \"{}\" has no service", route.path_prefix));
    }
    if (auto valid = NormalisePrefix(route); !valid) return std::unexpected(valid.error());
    if (auto valid = NormaliseHost(route); !valid) return std::unexpected(valid.error());
  }
  // Match takes the first route that fits, so the order is the precedence: longer prefixes
  // first, then host-specific before host-less. Within that, sorting by (host, prefix) makes
  // duplicates neighbours and keeps the order independent of the input's.
  std::stable_sort(routes.begin(), routes.end(), [](const Route& a, const Route& b) {
    if (a.path_prefix.size() != b.path_prefix.size()) {
      return a.path_prefix.size() > b.path_prefix.size();
    }
    if (a.host.empty() != b.host.empty()) return !a.host.empty();
    if (a.host != b.host) return a.host < b.host;
    return a.path_prefix < b.path_prefix;
  });
  for (size_t i = 1; i < routes.size(); ++i) {
    const Route& a = routes[i - 1];
    const Route& b = routes[i];
    if (a.host == b.host && a.path_prefix == b.path_prefix) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("route {} is claimed by both service \"{}\" and service \"{}\"",
                              Describe(a), a.service, b.service));
    }
  }
  return RouteTable(std::move(routes));
}

std::optional<RouteMatch> RouteTable::Match(std::string_view host_header,
                                            std::string_view target) const {
  if (target.empty() || target.front() != '/') return std::nullopt;
  size_t query_start = target.find('?');
  std::string_view path = target.substr(0, query_start);
  std::string_view query =
      query_start == std::string_view::npos ? std::string_view() : target.substr(query_start);
  std::string_view host = HostWithoutPort(host_header);

  for (const Route& route : routes_) {
    if (!route.host.empty() && !EqualsIgnoringAsciiCase(host, route.host)) continue;
    if (!PrefixMatches(route.path_prefix, path)) continue;
    RouteMatch match{.route = &route, .upstream_target = {}};
    if (!route.strip_prefix || route.path_prefix.size() == 1) {
      match.upstream_target.assign(target);
      return match;
    }
    std::string_view rest = path.substr(route.path_prefix.size());
    match.upstream_target.reserve(1 + rest.size() + query.size());
    if (rest.empty()) match.upstream_target.push_back('/');
    match.upstream_target.append(rest);
    match.upstream_target.append(query);
    return match;
  }
  return std::nullopt;
}

}  // namespace lockstep::runtime
