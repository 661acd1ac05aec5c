#include "cli/last_good.h"

namespace lockstep::cli {

std::map<std::string, std::string> LastGoodCommits(const std::filesystem::path& state_directory,
                                                   std::string_view environment) {
  (void)state_directory;
  (void)environment;
  return {};
}

}  // namespace lockstep::cli
