#include "runtime/service_spec.h"

#include <fmt/core.h>

#include <algorithm>
#include <charconv>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>

#include "base/duration.h"

namespace lockstep::runtime {
namespace {

bool IsName(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  return alnum(name.front()) && std::ranges::all_of(name, [&](char c) {
           return alnum(c) || c == '-' || c == '_' || c == '.';
         });
}

bool IsShellVariable(std::string_view name) {
  if (name.empty() || (name.front() >= '0' && name.front() <= '9')) return false;
  return std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

class Reader {
 public:
  Reader(std::string_view service, std::string_view file) : service_(service), file_(file) {}

  std::unexpected<Error> Problem(yaml::Mark mark, std::string message) const {
    return std::unexpected<Error>(
        Error(ErrorCode::kInvalidArgument, fmt::format("service '{}': {}", service_, message),
              SourceLocation{std::string(file_), mark.line, mark.column}));
  }

  Result<void> OnlyKeys(const yaml::Node& map, std::initializer_list<std::string_view> allowed,
                        std::string_view where) const {
    std::set<std::string_view> seen;
    for (const yaml::MapEntry& entry : map.entries) {
      std::string_view key = entry.key.value;
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string expected;
        for (std::string_view name : allowed) {
          expected += (expected.empty() ? "" : ", ") + std::string(name);
        }
        return Problem(entry.key.mark,
                       fmt::format("unknown key '{}' in {} (expected {})", key, where, expected));
      }
      if (!seen.insert(key).second) {
        return Problem(entry.key.mark, fmt::format("key '{}' appears twice", key));
      }
    }
    return {};
  }

  Result<std::string> Text(const yaml::Node& node, std::string_view key) const {
    if (!node.IsScalar()) {
      return Problem(node.mark,
                     fmt::format("'{}' must be a string, found {}", key, yaml::DescribeKind(node)));
    }
    return node.value;
  }

  Result<int> Integer(const yaml::Node& node, std::string_view key, int low, int high) const {
    int value = 0;
    bool number = node.IsScalar() && node.scalar_type() == yaml::ScalarType::kInteger;
    if (number) {
      auto [end, error] =
          std::from_chars(node.value.data(), node.value.data() + node.value.size(), value);
      number = error == std::errc() && end == node.value.data() + node.value.size();
    }
    if (!number || value < low || value > high) {
      return Problem(node.mark, fmt::format("'{}' must be a whole number from {} to {}, found '{}'",
                                            key, low, high, node.IsScalar() ? node.value : ""));
    }
    return value;
  }

  Result<std::chrono::milliseconds> Duration(const yaml::Node& node, std::string_view key) const {
    Result<std::string> text = Text(node, key);
    if (!text) return std::unexpected(text.error());
    Result<std::chrono::milliseconds> duration = ParseDuration(*text);
    if (!duration)
      return Problem(node.mark, fmt::format("'{}': {}", key, duration.error().message()));
    return *duration;
  }

  Result<void> ReadRoute(const yaml::Node& node, Route& route) const {
    if (node.IsScalar()) {
      route.path_prefix = node.value;
    } else if (node.IsMap()) {
      if (Result<void> keys = OnlyKeys(node, {"path", "host", "strip_prefix"}, "route"); !keys) {
        return keys;
      }
      const yaml::Node* path = node.Find("path");
      if (path == nullptr) return Problem(node.mark, "'route' needs a 'path'");
      Result<std::string> prefix = Text(*path, "path");
      if (!prefix) return std::unexpected(prefix.error());
      route.path_prefix = *prefix;
      if (const yaml::Node* host = node.Find("host")) {
        Result<std::string> text = Text(*host, "host");
        if (!text) return std::unexpected(text.error());
        route.host = *text;
      }
      if (const yaml::Node* strip = node.Find("strip_prefix")) {
        if (!strip->IsScalar() || strip->scalar_type() != yaml::ScalarType::kBool) {
          return Problem(strip->mark, "'strip_prefix' must be true or false");
        }
        route.strip_prefix =
            strip->value == "true" || strip->value == "True" || strip->value == "TRUE";
      }
    } else {
      return Problem(node.mark,
                     "'route' must be a path prefix like /api, or {path, host, "
                     "strip_prefix}");
    }
    // The route table's own rules, so that a file never holds a route the gateway refuses.
    Result<RouteTable> table = RouteTable::Make({route});
    if (!table) return Problem(node.mark, table.error().message());
    return {};
  }

  Result<void> ReadHealth(const yaml::Node& node, HealthCheck& health) const {
    if (!node.IsMap()) return Problem(node.mark, "'health' must be a mapping");
    if (Result<void> keys = OnlyKeys(
            node,
            {"path", "status", "interval", "timeout", "healthy_threshold", "unhealthy_threshold"},
            "health");
        !keys) {
      return keys;
    }
    if (const yaml::Node* path = node.Find("path")) {
      Result<std::string> text = Text(*path, "path");
      if (!text) return std::unexpected(text.error());
      if (!text->starts_with('/'))
        return Problem(path->mark, "the health path must start with '/'");
      health.path = *text;
    }
    if (const yaml::Node* status = node.Find("status")) {
      Result<int> value = Integer(*status, "status", 100, 599);
      if (!value) return std::unexpected(value.error());
      health.status = *value;
    }
    for (auto [key, target] :
         {std::pair{"interval", &health.interval}, std::pair{"timeout", &health.timeout}}) {
      if (const yaml::Node* value = node.Find(key)) {
        Result<std::chrono::milliseconds> duration = Duration(*value, key);
        if (!duration) return std::unexpected(duration.error());
        *target = *duration;
      }
    }
    if (health.timeout > health.interval) {
      const yaml::Node* timeout = node.Find("timeout");
      return Problem(timeout != nullptr ? timeout->mark : node.mark,
                     "the health timeout must not be longer than its interval");
    }
    for (auto [key, target] : {std::pair{"healthy_threshold", &health.healthy_threshold},
                               std::pair{"unhealthy_threshold", &health.unhealthy_threshold}}) {
      if (const yaml::Node* value = node.Find(key)) {
        Result<int> number = Integer(*value, key, 1, 100);
        if (!number) return std::unexpected(number.error());
        *target = *number;
      }
    }
    return {};
  }

  Result<void> ReadEnvironment(const yaml::Node& node,
                               std::map<std::string, std::string>& environment) const {
    if (!node.IsMap()) return Problem(node.mark, "'environment' must be a mapping NAME: value");
    for (const yaml::MapEntry& entry : node.entries) {
      const std::string& name = entry.key.value;
      if (!IsShellVariable(name)) {
        return Problem(entry.key.mark,
                       fmt::format("environment name '{}' must be letters, digits and '_', not "
                                   "starting with a digit",
                                   name));
      }
      if (name == "PORT" || name == "DATA_DIR" || name.starts_with("LOCKSTEP_")) {
        return Problem(
            entry.key.mark,
            fmt::format("environment name '{}' is set by lockstep for every handler", name));
      }
      if (!entry.value.IsScalar()) {
        return Problem(entry.value.mark, fmt::format("the value of '{}' must be a string", name));
      }
      if (!environment.emplace(name, entry.value.value).second) {
        return Problem(entry.key.mark, fmt::format("environment name '{}' appears twice", name));
      }
    }
    return {};
  }

 private:
  std::string_view service_;
  std::string_view file_;
};

}  // namespace

Result<ServiceSpec> ReadServiceSpec(std::string_view name, const yaml::Node& node,
                                    std::string_view file) {
  Reader reader(name, file);
  if (!IsName(name)) {
    return reader.Problem(node.mark,
                          "a service name must be 1-63 letters, digits, '-', '_' or "
                          "'.', starting with a letter or digit");
  }
  if (!node.IsMap()) return reader.Problem(node.mark, "expected a mapping with at least 'route'");
  if (Result<void> keys = reader.OnlyKeys(
          node, {"route", "kind", "health", "start_timeout", "drain_timeout", "environment", "spa"},
          "a service");
      !keys) {
    return std::unexpected(keys.error());
  }
  ServiceSpec spec;
  spec.name = std::string(name);
  spec.route.service = spec.name;
  const yaml::Node* route = node.Find("route");
  if (route == nullptr)
    return reader.Problem(node.mark, "missing 'route': where the gateway serves it");
  if (Result<void> read = reader.ReadRoute(*route, spec.route); !read) {
    return std::unexpected(read.error());
  }
  if (const yaml::Node* kind = node.Find("kind")) {
    if (!kind->IsScalar() || (kind->value != "http" && kind->value != "static")) {
      return reader.Problem(kind->mark, fmt::format("'kind' must be http or static, found '{}'",
                                                    kind->IsScalar() ? kind->value : ""));
    }
    spec.kind = kind->value == "static" ? ServiceSpec::Kind::kStatic : ServiceSpec::Kind::kHttp;
  }
  if (const yaml::Node* health = node.Find("health")) {
    if (spec.kind == ServiceSpec::Kind::kStatic) {
      return reader.Problem(health->mark,
                            "a static service has no health check: the gateway "
                            "serves it itself");
    }
    if (Result<void> read = reader.ReadHealth(*health, spec.health); !read) {
      return std::unexpected(read.error());
    }
  }
  if (const yaml::Node* start = node.Find("start_timeout")) {
    if (spec.kind == ServiceSpec::Kind::kStatic) {
      return reader.Problem(start->mark, "a static service starts no process: no 'start_timeout'");
    }
    Result<std::chrono::milliseconds> duration = reader.Duration(*start, "start_timeout");
    if (!duration) return std::unexpected(duration.error());
    spec.start_timeout = *duration;
  }
  if (const yaml::Node* spa = node.Find("spa")) {
    if (spec.kind != ServiceSpec::Kind::kStatic) {
      return reader.Problem(spa->mark, "'spa' applies to static services only");
    }
    if (!spa->IsScalar() || (spa->value != "true" && spa->value != "false")) {
      return reader.Problem(spa->mark, "'spa' must be true or false");
    }
    spec.spa_fallback = spa->value == "true";
  }
  if (const yaml::Node* drain = node.Find("drain_timeout")) {
    Result<std::chrono::milliseconds> duration = reader.Duration(*drain, "drain_timeout");
    if (!duration) return std::unexpected(duration.error());
    spec.drain_timeout = *duration;
  }
  if (const yaml::Node* environment = node.Find("environment")) {
    if (Result<void> read = reader.ReadEnvironment(*environment, spec.environment); !read) {
      return std::unexpected(read.error());
    }
  }
  return spec;
}

std::string ServiceSpecToJson(const ServiceSpec& spec) {
  auto millis = [](std::chrono::milliseconds value) { return fmt::format("{}ms", value.count()); };
  nlohmann::ordered_json json;
  json["route"] = {{"path", spec.route.path_prefix}, {"strip_prefix", spec.route.strip_prefix}};
  if (!spec.route.host.empty()) json["route"]["host"] = spec.route.host;
  if (spec.kind == ServiceSpec::Kind::kStatic) {
    json["kind"] = "static";
    json["spa"] = spec.spa_fallback;
  } else {
    json["kind"] = "http";
    json["health"] = {{"path", spec.health.path},
                      {"status", spec.health.status},
                      {"interval", millis(spec.health.interval)},
                      {"timeout", millis(spec.health.timeout)},
                      {"healthy_threshold", spec.health.healthy_threshold},
                      {"unhealthy_threshold", spec.health.unhealthy_threshold}};
    json["start_timeout"] = millis(spec.start_timeout);
  }
  json["drain_timeout"] = millis(spec.drain_timeout);
  json["environment"] = nlohmann::ordered_json::object();
  for (const auto& [name, value] : spec.environment) json["environment"][name] = value;
  return json.dump();
}

}  // namespace lockstep::runtime
