#include "http/client.h"

#include <fmt/core.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <optional>

#include "base/duration.h"

namespace lockstep::http {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

// RFC 9110 tchar: the characters of a method or a field name.
bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view text) {
  return !text.empty() && std::ranges::all_of(text, IsTokenChar);
}

// Control characters end a request line or a field early: they would let a value smuggle in
// fields or requests of its own. A tab is allowed in field values.
bool HasControlCharacter(std::string_view text, bool allow_tab) {
  return std::ranges::any_of(text, [&](char c) {
    auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && !(allow_tab && c == '\t')) || byte == 0x7f;
  });
}

std::string Bytes(uint64_t bytes) {
  if (bytes >= (uint64_t{1} << 20) && bytes % (uint64_t{1} << 20) == 0) {
    return fmt::format("{} MiB", bytes >> 20);
  }
  if (bytes >= 1024 && bytes % 1024 == 0) return fmt::format("{} KiB", bytes >> 10);
  return fmt::format("{} bytes", bytes);
}

// The system's message with a lower-case start, to follow a colon: "connection refused".
std::string Describe(const error_code& ec) {
  std::string message = ec.message();
  if (!message.empty() && message[0] >= 'A' && message[0] <= 'Z' &&
      (message.size() == 1 || !(message[1] >= 'A' && message[1] <= 'Z'))) {
    message[0] = static_cast<char>(message[0] - 'A' + 'a');
  }
  return message;
}

Result<bhttp::request<bhttp::string_body>> BuildRequest(const Url& base,
                                                        const ClientRequest& request) {
  if (!IsToken(request.method)) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("'{}' is not an HTTP method", request.method));
  }
  if (!request.target.starts_with('/') || HasControlCharacter(request.target, false) ||
      request.target.find(' ') != std::string::npos) {
    return Fail(ErrorCode::kInvalidArgument,
                "the request target must start with '/' and hold no spaces or control "
                "characters");
  }
  bhttp::request<bhttp::string_body> message;
  message.version(11);
  bhttp::verb verb = bhttp::string_to_verb(request.method);
  if (verb == bhttp::verb::unknown) {
    message.method_string(request.method);
  } else {
    message.method(verb);
  }
  message.target(base.prefix + request.target);
  for (const auto& [name, value] : request.headers.fields()) {
    // Values are never named in errors: an Authorization header is a credential.
    if (!IsToken(name)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("'{}' is not a valid header name",
                              HasControlCharacter(name, false) ? std::string("?") : name));
    }
    if (HasControlCharacter(value, true)) {
      return Fail(ErrorCode::kInvalidArgument,
                  fmt::format("the value of header '{}' holds a control character (a line "
                              "break?)",
                              name));
    }
    message.insert(name, value);
  }
  // The framing is this client's business, not the caller's.
  message.erase(bhttp::field::content_length);
  message.erase(bhttp::field::transfer_encoding);
  if (message.find(bhttp::field::host) == message.end()) {
    message.set(bhttp::field::host, base.Authority());
  }
  if (message.find(bhttp::field::user_agent) == message.end()) {
    message.set(bhttp::field::user_agent, "lockstep/" LOCKSTEP_VERSION);
  }
  if (message.find(bhttp::field::connection) == message.end()) {
    message.set(bhttp::field::connection, "close");
  }
  message.body() = request.body;
  message.prepare_payload();
  return message;
}

// One exchange on a private event loop. Each step starts one asynchronous operation and runs
// the loop until that operation completes or the deadline passes; at the deadline the socket
// is closed, which ends the operation with operation_aborted, and the step reports a timeout.
class Connection {
 public:
  Connection(const Url& url, Clock::time_point deadline, std::chrono::milliseconds timeout)
      : url_(url), deadline_(deadline), timeout_(timeout) {}

  Result<void> Connect() {
    error_code ec;
    std::vector<tcp::endpoint> endpoints;
    net::ip::address address = net::ip::make_address(url_.host, ec);
    if (!ec) {
      endpoints.emplace_back(address, url_.port);
    } else {
      ec = Await([&](auto done) {
        resolver_.async_resolve(url_.host, std::to_string(url_.port),
                                [done](const error_code& e, tcp::resolver::results_type found) {
                                  done(e, std::move(found));
                                });
      });
      if (timed_out_) {
        return Fail(ErrorCode::kCancelled,
                    fmt::format("resolving {}: no answer within {}", url_.host, Timeout()));
      }
      if (ec) {
        return Fail(ErrorCode::kUnavailable,
                    fmt::format("resolving {}: {}", url_.host, Describe(ec)));
      }
      for (const auto& entry : resolved_) endpoints.push_back(entry.endpoint());
    }
    ec = Await([&](auto done) {
      net::async_connect(socket_, endpoints,
                         [done](const error_code& e, const tcp::endpoint&) { done(e); });
    });
    if (timed_out_) {
      return Fail(ErrorCode::kCancelled, fmt::format("connecting to {}: no connection within {}",
                                                     url_.Authority(), Timeout()));
    }
    if (ec) {
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("connecting to {}: {}", url_.Authority(), Describe(ec)));
    }
    return {};
  }

  Result<void> Write(bhttp::request<bhttp::string_body>& request) {
    error_code ec = Await([&](auto done) {
      bhttp::async_write(socket_, request, [done](const error_code& e, size_t) { done(e); });
    });
    if (timed_out_) return NoResponse();
    if (ec) {
      return Fail(ErrorCode::kUnavailable,
                  fmt::format("sending the request to {}: {}", url_.Authority(), Describe(ec)));
    }
    return {};
  }

  Result<ClientResponse> Read(bool head_request, const FetchLimits& limits) {
    std::optional<bhttp::response_parser<bhttp::string_body>> parser;
    // Interim responses (1xx but 101) come before the real one; skip them.
    do {
      parser.emplace();
      parser->header_limit(limits.max_header_bytes);
      parser->body_limit(limits.max_body_bytes);
      parser->skip(head_request);
      error_code ec = Await([&](auto done) {
        bhttp::async_read_header(socket_, buffer_, *parser,
                                 [done](const error_code& e, size_t) { done(e); });
      });
      if (timed_out_) return std::unexpected(NoResponse().error());
      if (ec == bhttp::error::header_limit) {
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("the response head from {} is over the limit of {}",
                                url_.Authority(), Bytes(limits.max_header_bytes)));
      }
      if (ec) return std::unexpected(ReadError(ec, limits, true));
    } while (parser->get().result_int() / 100 == 1 && parser->get().result_int() != 101);

    if (!parser->is_done()) {
      error_code ec = Await([&](auto done) {
        bhttp::async_read(socket_, buffer_, *parser,
                          [done](const error_code& e, size_t) { done(e); });
      });
      if (timed_out_) {
        return Fail(ErrorCode::kCancelled,
                    fmt::format("the response from {} did not complete within {}", url_.Authority(),
                                Timeout()));
      }
      if (ec) return std::unexpected(ReadError(ec, limits, false));
    }
    bhttp::response<bhttp::string_body> message = parser->release();
    ClientResponse response;
    response.status = static_cast<int>(message.result_int());
    for (const auto& field : message) {
      response.headers.Add(std::string(field.name_string()), std::string(field.value()));
    }
    response.body = std::move(message.body());
    error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    return response;
  }

 private:
  // Starts an operation with `start(done)`, where the operation calls done(error, results…),
  // and runs the loop until it has. Sets timed_out_ when the deadline passed first.
  template <class Start>
  error_code Await(Start start) {
    error_code result = net::error::would_block;
    bool finished = false;
    start([&](const error_code& ec, auto&&... values) {
      result = ec;
      finished = true;
      if constexpr (sizeof...(values) == 1) resolved_ = std::move(values...);
    });
    io_.restart();
    io_.run_until(deadline_);
    timed_out_ = !finished;
    if (!finished) {
      // Cancelled operations still complete (with operation_aborted); let them, so that
      // nothing refers to this frame once it returns.
      error_code ignored;
      resolver_.cancel();
      socket_.close(ignored);
      io_.restart();
      io_.run();
    }
    return result;
  }

  Result<void> NoResponse() const {
    return Fail(ErrorCode::kCancelled,
                fmt::format("no response from {} within {}", url_.Authority(), Timeout()));
  }

  Error ReadError(const error_code& ec, const FetchLimits& limits, bool before_head) const {
    if (ec == bhttp::error::body_limit) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("the response body from {} is over the limit of {}",
                               url_.Authority(), Bytes(limits.max_body_bytes)));
    }
    if (ec == bhttp::error::end_of_stream || ec == net::error::eof ||
        ec == bhttp::error::partial_message || ec == net::error::connection_reset) {
      return Error(
          ErrorCode::kUnavailable,
          fmt::format("{} closed the connection {}", url_.Authority(),
                      before_head ? "without a response" : "before the response was complete"));
    }
    if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category()) {
      return Error(ErrorCode::kInvalidArgument,
                   fmt::format("malformed response from {}: {}", url_.Authority(), ec.message()));
    }
    return Error(ErrorCode::kUnavailable,
                 fmt::format("reading the response from {}: {}", url_.Authority(), Describe(ec)));
  }

  std::string Timeout() const { return DescribeDuration(timeout_); }

  const Url& url_;
  Clock::time_point deadline_;
  std::chrono::milliseconds timeout_;
  net::io_context io_;
  tcp::resolver resolver_{io_};
  tcp::socket socket_{io_};
  beast::flat_buffer buffer_;
  tcp::resolver::results_type resolved_;
  bool timed_out_ = false;
};

}  // namespace

std::string Url::Authority() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

std::string Url::ToString() const { return fmt::format("http://{}{}", Authority(), prefix); }

Result<Url> ParseUrl(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return Fail(
        ErrorCode::kInvalidArgument,
        fmt::format("invalid URL '{}': {}; expected http://HOST[:PORT][/PREFIX]", text, why));
  };
  if (HasControlCharacter(text, false) || text.find(' ') != std::string_view::npos) {
    // Not echoed: a control character would garble the message.
    return Fail(ErrorCode::kInvalidArgument,
                "invalid URL: it holds spaces or control characters; expected "
                "http://HOST[:PORT][/PREFIX]");
  }
  constexpr std::string_view kScheme = "http://";
  if (text.size() < kScheme.size() ||
      !std::equal(kScheme.begin(), kScheme.end(), text.begin(), [](char a, char b) {
        return a == (b >= 'A' && b <= 'Z' ? static_cast<char>(b - 'A' + 'a') : b);
      })) {
    if (text.starts_with("https://")) return invalid("https is not supported, only http");
    return invalid("it must start with http://");
  }
  std::string_view rest = text.substr(kScheme.size());
  size_t path_start = rest.find('/');
  std::string_view authority = rest.substr(0, path_start);
  std::string_view path = path_start == std::string_view::npos ? "" : rest.substr(path_start);
  if (authority.find('@') != std::string_view::npos) {
    // Not echoed: what comes before '@' is a password.
    return Fail(ErrorCode::kInvalidArgument,
                "invalid URL: credentials (USER@) are not supported in a URL; expected "
                "http://HOST[:PORT][/PREFIX]");
  }
  if (path.find_first_of("?#") != std::string_view::npos ||
      authority.find_first_of("?#") != std::string_view::npos) {
    return invalid("a base URL has no query or fragment");
  }
  Url url;
  std::string_view port_text;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("an IPv6 address lacks its ']'");
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) return invalid("expected ':PORT' after the IPv6 address");
      port_text = after.substr(1);
      if (port_text.empty()) return invalid("the port is empty");
    }
  } else {
    size_t colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      if (port_text.empty()) return invalid("the port is empty");
    }
  }
  if (url.host.empty()) return invalid("the host is missing");
  if (!port_text.empty()) {
    unsigned value = 0;
    auto [end, error] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (error != std::errc() || end != port_text.data() + port_text.size() || value == 0 ||
        value > 65535) {
      return invalid(fmt::format("the port '{}' is not a number from 1 to 65535", port_text));
    }
    url.port = static_cast<uint16_t>(value);
  }
  while (path.ends_with('/')) path.remove_suffix(1);
  url.prefix = std::string(path);
  return url;
}

Result<ClientResponse> Fetch(const Url& base, const ClientRequest& request,
                             std::chrono::milliseconds timeout, const FetchLimits& limits) {
  auto message = BuildRequest(base, request);
  if (!message) return std::unexpected(message.error());
  try {
    Connection connection(base, Clock::now() + timeout, timeout);
    if (auto connected = connection.Connect(); !connected) {
      return std::unexpected(connected.error());
    }
    if (auto written = connection.Write(*message); !written) {
      return std::unexpected(written.error());
    }
    return connection.Read(request.method == "HEAD", limits);
  } catch (const std::exception& e) {
    // Asio reports a failure to create its reactor (out of descriptors) by throwing.
    return Fail(ErrorCode::kIoError, fmt::format("requesting {}: {}", base.Authority(), e.what()));
  }
}

}  // namespace lockstep::http
