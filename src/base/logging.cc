#include "base/logging.h"

#include <fmt/core.h>
#include <spdlog/sinks/ansicolor_sink.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>
#include <nlohmann/json.hpp>

namespace lockstep {
namespace {

// Writes each record as one JSON object per line: {"time","level","msg"}; nlohmann escapes
// the message so that no record can break the line structure.
class JsonLinesSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& message) override {
    auto seconds =
        std::chrono::duration_cast<std::chrono::microseconds>(message.time.time_since_epoch())
            .count();
    nlohmann::json record = {
        {"time", static_cast<double>(seconds) / 1e6},
        {"level", std::string(spdlog::level::to_string_view(message.level).data(),
                              spdlog::level::to_string_view(message.level).size())},
        {"msg", std::string(message.payload.data(), message.payload.size())},
    };
    std::string line = record.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line += '\n';
    std::fwrite(line.data(), 1, line.size(), stderr);
  }
  void flush_() override { std::fflush(stderr); }
};

}  // namespace

Result<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return Fail(ErrorCode::kInvalidArgument,
              fmt::format("unknown log format '{}' (expected text or json)", name));
}

Result<void> SetUpLogging(const LoggingOptions& options) {
  auto level = spdlog::level::from_str(std::string(options.level));
  // from_str maps unknown names to "off"; only accept "off" when it was asked for.
  if (level == spdlog::level::off && options.level != "off") {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("unknown log level '{}' (expected trace, debug, info, warn, error, "
                            "critical or off)",
                            options.level));
  }
  std::shared_ptr<spdlog::sinks::sink> sink;
  if (options.format == LogFormat::kJson) {
    sink = std::make_shared<JsonLinesSink>();
  } else {
    auto text_sink = std::make_shared<spdlog::sinks::ansicolor_stderr_sink_mt>(
        options.color ? spdlog::color_mode::always : spdlog::color_mode::never);
    text_sink->set_pattern("lockstep: %^%l%$: %v");
    sink = text_sink;
  }
  auto logger = std::make_shared<spdlog::logger>("lockstep", sink);
  logger->set_level(level);
  spdlog::set_default_logger(logger);
  return {};
}

}  // namespace lockstep
