// One health check of a handler: GET its health path on 127.0.0.1 with a deadline, on a fresh
// connection (a check must see a handler that can still accept). Runs on the caller's
// executor; thread-compatible.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
// boost/asio/awaitable.hpp (1.74) uses std::exchange without including <utility>.
// clang-format off
#include <utility>
#include <boost/asio/awaitable.hpp>
// clang-format on

#include "base/error.h"

namespace lockstep::runtime {

// The status the handler on `port` answered for `path`, or an error that says why there was
// none ("connection refused", "no answer within 2s").
boost::asio::awaitable<Result<int>> ProbeHealth(uint16_t port, std::string path,
                                                std::chrono::milliseconds timeout);

}  // namespace lockstep::runtime
