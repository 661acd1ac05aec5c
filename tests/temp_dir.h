// An RAII temporary directory for tests that write files. Not thread-safe.
#pragma once

#include <filesystem>
#include <string>

namespace lockstep::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }

  // Writes `content` to `relative` under the directory, creating parent folders.
  void Write(const std::string& relative, const std::string& content) const;

 private:
  std::filesystem::path path_;
};

}  // namespace lockstep::testing
