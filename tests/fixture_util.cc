#include "fixture_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace lockstep::testing {

std::vector<std::filesystem::path> FixtureFiles(const std::string& folder,
                                                const std::string& extension) {
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(SourceDir() / folder)) {
    if (entry.path().extension() == extension) files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

std::string ReadText(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> CommentValues(const std::string& text, const std::string& key) {
  std::vector<std::string> values;
  std::istringstream lines(text);
  std::string prefix = "# " + key + ": ";
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(prefix, 0) == 0) values.push_back(line.substr(prefix.size()));
  }
  return values;
}

std::vector<std::string> TreeListing(const std::filesystem::path& root) {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(root)) {
    std::string relative = entry.path().lexically_relative(root).string();
    paths.push_back(entry.is_directory() && !entry.is_symlink() ? relative + "/" : relative);
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

}  // namespace lockstep::testing
