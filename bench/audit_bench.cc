// Benchmark helper for the audit chain (bench/audit.sh builds it with -DLOCKSTEP_BENCH=ON and
// runs it): appends records through the real AuditLog::Append, the path the server takes, and
// prints how fast. Each record looks like a real one: a deployment or a sync with commit ids,
// digests and a release, about 330 bytes on its line of audit.jsonl.
//
//   audit_bench append STATE_DIR COUNT [THREADS]
//       COUNT appends split over THREADS threads sharing one AuditLog (default 1); prints
//       "appended COUNT records in S s: R records/s" and, at the end, the chain's last seq.
#include <fmt/core.h>

#include <atomic>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/audit_log.h"
#include "base/sha256.h"

namespace {

using lockstep::audit::AuditLog;
using lockstep::audit::AuditRecord;

int Usage() {
  std::fprintf(stderr, "usage: audit_bench append STATE_DIR COUNT [THREADS]\n");
  return 2;
}

std::optional<long> Number(std::string_view text) {
  long value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

AuditRecord MakeRecord(long i) {
  const std::string digest = lockstep::Sha256Hex(std::to_string(i));
  if (i % 2 == 0) {
    return AuditRecord{.actor = "lockstep",
                       .action = "deployment",
                       .subject = "api",
                       .details = {{"release", digest.substr(0, 20)},
                                   {"from_release", digest.substr(20, 20)},
                                   {"handler", "integrated"},
                                   {"kind", "deploy"},
                                   {"result", "succeeded"}}};
  }
  return AuditRecord{.actor = "alice",
                     .action = "sync",
                     .subject = "registry-infrastructure:api/src",
                     .details = {{"from", "registry-api:src"},
                                 {"commit", digest.substr(0, 40)},
                                 {"manifest_sha256", digest},
                                 {"files", i % 500}}};
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::string_view(argv[1]) != "append") return Usage();
  const std::optional<long> count = Number(argv[3]);
  const std::optional<long> threads = argc > 4 ? Number(argv[4]) : std::optional<long>(1);
  if (!count || !threads) return Usage();

  auto log = AuditLog::Open(argv[2]);
  if (!log) {
    std::fprintf(stderr, "audit_bench: %s\n", log.error().message().c_str());
    return 1;
  }
  std::atomic<long> failures = 0;
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> workers;
  for (long t = 0; t < *threads; ++t) {
    workers.emplace_back([&, t] {
      for (long i = t; i < *count; i += *threads) {
        auto entry = (*log)->Append(MakeRecord(i));
        if (!entry) {
          if (failures++ == 0) {
            std::fprintf(stderr, "audit_bench: %s\n", entry.error().message().c_str());
          }
        }
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (failures > 0) return 1;
  auto last = (*log)->Read({.limit = 1, .latest = true});
  fmt::print("appended {} records in {:.3f} s: {:.0f} records/s (last seq {})\n", *count, seconds,
             static_cast<double>(*count) / seconds, last && !last->empty() ? last->back().seq : 0);
  return 0;
}
