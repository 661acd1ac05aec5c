// JUnit XML test reports (the format most test runners write): counts of passed, failed and
// skipped test cases. Pure; thread-safe.
#pragma once

#include <filesystem>
#include <string_view>

#include "base/error.h"
#include "store/store.h"

namespace lockstep::engine {

// Counts the <testcase> elements of a report whose root is <testsuites> or <testsuite>
// (nested suites included): a case with <failure> or <error> failed, with <skipped> skipped,
// otherwise passed. Malformed XML or another root fails with kInvalidArgument and a location
// "file:line:col" computed from the parser's offset.
Result<store::TestCounts> ParseJUnit(std::string_view xml, std::string_view file_name);
Result<store::TestCounts> ParseJUnitFile(const std::filesystem::path& path);

// Whether a file looks like a JUnit report worth parsing for AutoDiscoverReports: an .xml
// file whose first element is <testsuites> or <testsuite>.
bool LooksLikeJUnit(const std::filesystem::path& path);

}  // namespace lockstep::engine
