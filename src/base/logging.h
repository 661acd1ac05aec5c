// Process-wide logging setup (spdlog). Logs go to standard error: human-readable lines on a
// terminal, or one JSON object per line for machines. Call SetUpLogging once, early in main,
// before other threads start; logging itself is thread-safe.
#pragma once

#include <string_view>

#include "base/error.h"

namespace lockstep {

enum class LogFormat { kText, kJson };

struct LoggingOptions {
  LogFormat format = LogFormat::kText;
  std::string_view level = "warn";  // trace, debug, info, warn, error, critical, off
  bool color = false;               // colour the level in text format
};

// Installs the default logger. Fails with kInvalidArgument on an unknown level.
Result<void> SetUpLogging(const LoggingOptions& options);

// Parses "text" or "json".
Result<LogFormat> ParseLogFormat(std::string_view name);

}  // namespace lockstep
