// The gateway: one StreamHandler that routes every request by the current route table to a
// service's active handler process (through the proxy) or to its static site. Deployments
// change what the gateway serves by publishing a whole new table; the switch is one atomic
// pointer swap, so every request sees the old table or the new one, and requests already in
// flight finish on what they started with (they hold the table they were routed by).
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "http/exchange.h"
#include "runtime/proxy.h"
#include "runtime/route_table.h"
#include "runtime/static_site.h"

namespace lockstep::runtime {

// An open site root, closed when the last request using it ends.
class SiteRoot {
 public:
  // Opens `directory` (O_PATH | O_DIRECTORY). kNotFound / kInvalidArgument naming it.
  static Result<std::shared_ptr<const SiteRoot>> Open(const std::filesystem::path& directory);
  ~SiteRoot();
  SiteRoot(const SiteRoot&) = delete;
  SiteRoot& operator=(const SiteRoot&) = delete;
  int fd() const { return fd_; }

 private:
  explicit SiteRoot(int fd) : fd_(fd) {}
  int fd_;
};

// Where a routed service's requests go now.
struct ServiceTarget {
  // An HTTP service: the port of its active handler on 127.0.0.1; none while no handler is
  // healthy (503).
  std::optional<uint16_t> port;
  // A static service: its release's site.
  std::shared_ptr<const SiteRoot> site;
  StaticOptions static_options;
};

// Everything the gateway routes by, published as one value.
struct GatewayTable {
  std::shared_ptr<const RouteTable> routes;
  std::unordered_map<std::string, ServiceTarget> targets;  // by service name
};

class Gateway {
 public:
  Gateway(UpstreamPool& pool, ProxyOptions options);

  // Makes `table` the one new requests are routed by.
  void Publish(std::shared_ptr<const GatewayTable> table);
  std::shared_ptr<const GatewayTable> table() const;

  // The handler for the gateway's HttpServer. No route: 404; a routed service missing from the
  // table or without a healthy handler: 503; all as JSON with the request id.
  http::StreamHandler Handler();

 private:
  boost::asio::awaitable<void> Serve(http::Exchange& exchange);

  UpstreamPool& pool_;
  ProxyOptions options_;
  std::atomic<std::shared_ptr<const GatewayTable>> table_;
};

}  // namespace lockstep::runtime
