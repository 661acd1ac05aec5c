#include "base/error.h"

#include <fmt/core.h>

#include <cerrno>
#include <cstring>

namespace lockstep {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kAlreadyExists:
      return "already exists";
    case ErrorCode::kIoError:
      return "i/o error";
    case ErrorCode::kCorruption:
      return "corruption";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kCancelled:
      return "cancelled";
    case ErrorCode::kPermissionDenied:
      return "permission denied";
    case ErrorCode::kInternal:
      return "internal error";
  }
  return "unknown";
}

std::string SourceLocation::ToString() const {
  if (line <= 0) return file;
  return fmt::format("{}:{}:{}", file, line, column);
}

std::string Error::ToString() const {
  if (!location_) return message_;
  return fmt::format("{}: {}", location_->ToString(), message_);
}

Error ErrnoError(int errno_value, std::string_view context) {
  ErrorCode code = ErrorCode::kIoError;
  if (errno_value == ENOENT || errno_value == ENOTDIR) code = ErrorCode::kNotFound;
  if (errno_value == EACCES || errno_value == EPERM) code = ErrorCode::kPermissionDenied;
  if (errno_value == EEXIST) code = ErrorCode::kAlreadyExists;
  return Error(code, fmt::format("{}: {}", context, std::strerror(errno_value)));
}

}  // namespace lockstep
