// Request ids: every exchange carries an X-Request-Id, the client's own when it is a sane token,
// otherwise a fresh random one. Thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace lockstep::http {

// Whether `id` may be passed on as a request id: 1 to 128 characters of [A-Za-z0-9._-].
bool IsValidRequestId(std::string_view id);

// 32 lower-case hex digits from 16 bytes of the operating system's CSPRNG (getrandom, drawn
// in blocks of 256 ids per thread).
std::string NewRequestId();

// `incoming` when it is valid, otherwise NewRequestId().
std::string RequestIdFor(std::string_view incoming);

}  // namespace lockstep::http
