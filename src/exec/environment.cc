#include "exec/environment.h"

#include <cstdlib>
#include <string_view>

namespace lockstep::exec {
namespace {

std::string_view NameOf(std::string_view entry) { return entry.substr(0, entry.find('=')); }

}  // namespace

std::vector<std::string> CleanEnvironment(const std::vector<std::string>& extra) {
  std::vector<std::string> environment;
  for (const char* name : {"PATH", "HOME", "LANG", "TZ"}) {
    const char* value = std::getenv(name);
    if (value == nullptr && std::string_view(name) == "PATH")
      value = "/usr/local/bin:/usr/bin:/bin";
    if (value != nullptr) environment.push_back(std::string(name) + "=" + value);
  }
  for (const std::string& entry : extra) {
    std::string_view name = NameOf(entry);
    bool replaced = false;
    for (std::string& existing : environment) {
      if (NameOf(existing) == name) {
        existing = entry;
        replaced = true;
        break;
      }
    }
    if (!replaced) environment.push_back(entry);
  }
  return environment;
}

}  // namespace lockstep::exec
