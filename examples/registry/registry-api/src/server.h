// The socket side: one io_context on one thread, accepting on an address and passing each
// request to the Handler. Reads and writes have deadlines; bodies over kMaxBodyBytes get 413.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "handler.h"

namespace registry {

// Starts accepting on `endpoint`; the work runs when `io` runs. Returns false and sets
// `error` when the address cannot be bound.
bool StartServer(boost::asio::io_context& io, const boost::asio::ip::tcp::endpoint& endpoint,
                 Handler* handler, std::string* error);

}  // namespace registry
