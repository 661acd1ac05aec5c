#include "runtime/gateway.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "http/json_error.h"
#include "runtime/static_handler.h"

namespace lockstep::runtime {

Result<std::shared_ptr<const SiteRoot>> SiteRoot::Open(const std::filesystem::path& directory) {
  int fd = ::open(directory.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return std::unexpected(ErrnoError(errno, directory.string()));
  return std::shared_ptr<const SiteRoot>(new SiteRoot(fd));
}

SiteRoot::~SiteRoot() { ::close(fd_); }

Gateway::Gateway(UpstreamPool& pool, ProxyOptions options)
    : pool_(pool), options_(std::move(options)) {
  auto empty = std::make_shared<GatewayTable>();
  Result<RouteTable> routes = RouteTable::Make({});
  empty->routes = std::make_shared<const RouteTable>(std::move(*routes));
  table_.store(std::move(empty));
}

void Gateway::Publish(std::shared_ptr<const GatewayTable> table) { table_.store(std::move(table)); }

std::shared_ptr<const GatewayTable> Gateway::table() const { return table_.load(); }

http::StreamHandler Gateway::Handler() {
  return [this](http::Exchange& exchange) { return Serve(exchange); };
}

boost::asio::awaitable<void> Gateway::Serve(http::Exchange& exchange) {
  // The table this request is routed by stays alive until the request ends.
  std::shared_ptr<const GatewayTable> table = table_.load();
  const http::RequestHead& request = exchange.request();
  std::string host(request.headers.Find("Host").value_or(""));
  std::optional<RouteMatch> match = table->routes->Match(host, request.target);
  if (!match) {
    http::Response missing =
        http::JsonErrorResponse(404, "no service is routed here", request.request_id);
    (void)co_await exchange.Respond(std::move(missing));
    co_return;
  }
  const std::string& service = match->route->service;
  auto target = table->targets.find(service);
  if (target != table->targets.end() && target->second.site) {
    co_await ServeStatic(exchange, target->second.site->fd(), match->upstream_target,
                         target->second.static_options);
    co_return;
  }
  if (target == table->targets.end() || !target->second.port) {
    co_await RespondNoHealthyHandler(exchange, service);
    co_return;
  }
  Upstream upstream{"127.0.0.1", *target->second.port, match->upstream_target, service};
  co_await Proxy(exchange, pool_, upstream, options_);
}

}  // namespace lockstep::runtime
