#include "exec/program_path.h"

#include <sys/stat.h>
#include <unistd.h>

namespace lockstep::exec {

bool IsExecutableFile(const std::filesystem::path& path) {
  struct stat info {};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode) &&
         ::access(path.c_str(), X_OK) == 0;
}

std::optional<std::filesystem::path> FindInPath(std::string_view name,
                                                std::string_view path_variable,
                                                const std::filesystem::path& base) {
  if (name.empty()) return std::nullopt;
  for (;;) {
    size_t colon = path_variable.find(':');
    std::filesystem::path directory(path_variable.substr(0, colon));
    if (directory.empty()) directory = ".";
    std::filesystem::path candidate =
        directory.is_absolute() ? directory / name : base / directory / name;
    if (IsExecutableFile(candidate)) return candidate.lexically_normal();
    if (colon == std::string_view::npos) return std::nullopt;
    path_variable.remove_prefix(colon + 1);
  }
}

}  // namespace lockstep::exec
