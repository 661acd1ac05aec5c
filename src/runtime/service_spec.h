// A service as `lockstep.yaml` (or a deploy request) declares it: where the gateway routes
// it, what kind it is, how its health is checked, how long draining may take, its
// environment. Pure; thread-safe.
//
//   services:
//     api:
//       route: /api              # a path prefix, or { path: /api, host: x.test, strip_prefix: true
//       } kind: http               # http (handler processes, the default) or static health: {
//       path: /api/health, status: 200, interval: 2s, timeout: 2s,
//                 healthy_threshold: 1, unhealthy_threshold: 3 }
//       start_timeout: 30s       # how long a new handler has to become healthy
//       drain_timeout: 10s
//       environment: { LOG_LEVEL: info }
//     web: { route: /, kind: static, spa: true }
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <string_view>

#include "base/error.h"
#include "runtime/route_table.h"
#include "yaml/yaml_tree.h"

namespace lockstep::runtime {

struct HealthCheck {
  std::string path = "/";
  int status = 200;  // the status a healthy handler answers
  std::chrono::milliseconds interval{2000};
  std::chrono::milliseconds timeout{2000};
  int healthy_threshold = 1;    // passes in a row to count as healthy
  int unhealthy_threshold = 3;  // failures in a row to count as unhealthy

  bool operator==(const HealthCheck&) const = default;
};

struct ServiceSpec {
  enum class Kind { kHttp, kStatic };
  std::string name;
  Kind kind = Kind::kHttp;
  Route route;  // route.service == name
  HealthCheck health;
  // How long a new handler has to pass its health check before the next candidate is tried.
  std::chrono::milliseconds start_timeout{30000};
  // How long the old handler may take to finish its requests once told to stop (SIGTERM),
  // before it is killed.
  std::chrono::milliseconds drain_timeout{10000};
  bool spa_fallback = false;  // static services: unknown client-side routes get /index.html
  std::map<std::string, std::string> environment;

  bool operator==(const ServiceSpec&) const = default;
};

// The service as JSON with the keys of its YAML form (durations as "1500ms"), which
// ReadServiceSpec reads back to an equal value: the form a deploy request and the state
// store carry.
std::string ServiceSpecToJson(const ServiceSpec& spec);

// Reads the service `name` from its mapping in a file named `file`. Fails with kInvalidArgument
// at the position of the first problem: a bad name, an unknown key, a route that is not a
// path prefix, an unknown kind, a health check on a static service, a status outside
// 100-599, a duration that does not parse or a timeout longer than the interval, thresholds
// outside 1-100, an environment name that a shell could not set or one lockstep sets itself
// (PORT, DATA_DIR, LOCKSTEP_*).
Result<ServiceSpec> ReadServiceSpec(std::string_view name, const yaml::Node& node,
                                    std::string_view file);

}  // namespace lockstep::runtime
