// Error values and Result<T>, the currency of every fallible call in lockstep.
//
// An Error is a cheap value: a code for callers that branch on the kind of failure, a message
// for people, and an optional source location for errors that belong to a place in a file.
// Errors never carry secrets or internal paths meant for HTTP clients; the caller decides what
// to show. Thread-safe as values (no shared state).
#pragma once

#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace lockstep {

enum class ErrorCode {
  kInvalidArgument,   // the input is malformed or breaks a rule
  kNotFound,          // a named thing does not exist
  kAlreadyExists,     // a thing to create exists already
  kIoError,           // the operating system refused or failed a read or write
  kCorruption,        // stored data does not verify
  kUnavailable,       // a service or resource cannot be reached now; retrying may work
  kCancelled,         // the operation was cancelled or timed out
  kPermissionDenied,  // the caller may not do this
  kInternal,          // a broken invariant: a bug in lockstep
};

// Returns a short lower-case name for `code`, e.g. "invalid argument".
std::string_view ErrorCodeName(ErrorCode code);

// A place in a text file. Lines and columns count from 1; column counts bytes.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;

  // "file:line:col", or "file" when the line is unknown.
  std::string ToString() const;
};

class [[nodiscard]] Error {
 public:
  Error(ErrorCode code, std::string message, std::optional<SourceLocation> location = {})
      : code_(code), message_(std::move(message)), location_(std::move(location)) {}

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  const std::optional<SourceLocation>& location() const { return location_; }

  // "file:line:col: message" when a location is known, else the message alone.
  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string message_;
  std::optional<SourceLocation> location_;
};

template <class T>
using Result = std::expected<T, Error>;

// Shorthand for returning a failure from a function that returns Result<T>.
inline std::unexpected<Error> Fail(ErrorCode code, std::string message,
                                   std::optional<SourceLocation> location = {}) {
  return std::unexpected<Error>(Error(code, std::move(message), std::move(location)));
}

// Maps an errno value to an Error: "`context`: strerror" with the matching code
// (ENOENT -> kNotFound, EACCES/EPERM -> kPermissionDenied, otherwise kIoError).
Error ErrnoError(int errno_value, std::string_view context);

}  // namespace lockstep
