// Reading /proc/PID/stat (Linux). Thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace lockstep::exec {

struct ProcStat {
  char state = '?';         // field 3: R, S, D, Z (zombie), X (dead), …
  int process_group = 0;    // field 5
  uint64_t start_time = 0;  // field 22: clock ticks since boot
};

// Parses the text of /proc/PID/stat. The command name (field 2) may hold spaces and
// parentheses, so the fields are read after the last ')'. nullopt when malformed.
std::optional<ProcStat> ParseProcStat(std::string_view text);

// Reads and parses /proc/PID/stat; nullopt when the process does not exist.
std::optional<ProcStat> ReadProcStat(int pid);

}  // namespace lockstep::exec
