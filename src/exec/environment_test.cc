#include "exec/environment.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <optional>

namespace lockstep::exec {
namespace {

// Sets (or with nullopt unsets) a variable of the test process for one scope.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> old_;
};

TEST(CleanEnvironmentTest, CopiesFourVariablesThenAddsExtras) {
  ScopedEnv path("PATH", "/opt/bin:/usr/bin");
  ScopedEnv home("HOME", "/home/me");
  ScopedEnv lang("LANG", std::nullopt);
  ScopedEnv tz("TZ", "UTC");
  ScopedEnv other("LOCKSTEP_TEST_SECRET", "not copied");
  EXPECT_EQ(
      CleanEnvironment({"A=1", "HOME=/work", "B=", "A=2"}),
      (std::vector<std::string>{"PATH=/opt/bin:/usr/bin", "HOME=/work", "TZ=UTC", "A=2", "B="}));
}

TEST(CleanEnvironmentTest, DefaultsPath) {
  ScopedEnv path("PATH", std::nullopt);
  ScopedEnv home("HOME", std::nullopt);
  ScopedEnv lang("LANG", "C.UTF-8");
  ScopedEnv tz("TZ", std::nullopt);
  EXPECT_EQ(CleanEnvironment({}),
            (std::vector<std::string>{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}));
}

}  // namespace
}  // namespace lockstep::exec
