#include "engine/junit.h"

#include <fcntl.h>
#include <fmt/core.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <system_error>

#include "base/file.h"
#include "base/strings.h"

namespace lockstep::engine {
namespace {

// Reports larger than this are refused rather than parsed: pugixml builds the whole DOM in
// memory, and no honest test report comes near it.
constexpr size_t kMaxReportBytes = size_t{64} << 20;

// How much of a file LooksLikeJUnit reads: enough for an XML declaration, a licence comment
// and a DOCTYPE before the first element.
constexpr size_t kSniffBytes = 8192;

// Counts kept wide while summing so that absurd attribute values cannot overflow.
struct WideCounts {
  int64_t passed = 0;
  int64_t failed = 0;
  int64_t skipped = 0;
};

SourceLocation LocationOf(std::string_view text, size_t offset, std::string_view file_name) {
  offset = std::min(offset, text.size());
  std::string_view before = text.substr(0, offset);
  int line = 1 + static_cast<int>(std::ranges::count(before, '\n'));
  size_t line_start = before.rfind('\n');
  line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
  return SourceLocation{std::string(file_name), line, static_cast<int>(offset - line_start) + 1};
}

// A non-negative integer attribute, or nullopt when missing or not a plain number.
std::optional<int64_t> CountAttribute(const pugi::xml_node& node, const char* name) {
  pugi::xml_attribute attribute = node.attribute(name);
  if (!attribute) return std::nullopt;
  std::string_view text = attribute.value();
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  // Bounded so that sums over many suites stay far from overflow.
  if (value > std::numeric_limits<int>::max()) return std::nullopt;
  return value;
}

void CountCase(const pugi::xml_node& test_case, WideCounts& counts) {
  if (test_case.child("failure") || test_case.child("error")) {
    ++counts.failed;
  } else if (test_case.child("skipped")) {
    ++counts.skipped;
  } else {
    ++counts.passed;
  }
}

// Adds the counts of a summary-only suite (no <testcase> or <testsuite> inside) from its
// attributes. Attributes of suites that do list their cases are ignored: tools get them wrong
// (counting errors twice, or skipped cases as failures), and the cases are the truth.
void CountSummary(const pugi::xml_node& suite, WideCounts& counts) {
  std::optional<int64_t> tests = CountAttribute(suite, "tests");
  if (!tests) return;
  int64_t failures = CountAttribute(suite, "failures").value_or(0);
  int64_t errors = CountAttribute(suite, "errors").value_or(0);
  int64_t skipped = CountAttribute(suite, "skipped").value_or(0);
  int64_t failed = std::min(*tests, failures + errors);
  skipped = std::min(*tests - failed, skipped);
  counts.failed += failed;
  counts.skipped += skipped;
  counts.passed += *tests - failed - skipped;
}

// Counts a <testsuites> or <testsuite> element and the suites nested in it. Iterative, so a
// hostile report nesting suites a million deep cannot exhaust the stack.
void CountSuite(const pugi::xml_node& root, WideCounts& counts) {
  std::vector<pugi::xml_node> pending = {root};
  while (!pending.empty()) {
    pugi::xml_node suite = pending.back();
    pending.pop_back();
    bool has_children = false;
    for (pugi::xml_node child = suite.first_child(); child; child = child.next_sibling()) {
      if (child.type() != pugi::node_element) continue;
      if (std::strcmp(child.name(), "testcase") == 0) {
        has_children = true;
        CountCase(child, counts);
      } else if (std::strcmp(child.name(), "testsuite") == 0) {
        has_children = true;
        pending.push_back(child);
      }
    }
    if (!has_children) CountSummary(suite, counts);
  }
}

// Skips an XML prolog (byte order mark, whitespace, declaration, processing instructions,
// comments, DOCTYPE) and returns the name of the first element, or nullopt when `text` ends
// first or is not XML.
std::optional<std::string_view> FirstElementName(std::string_view text) {
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  for (;;) {
    size_t start = text.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) return std::nullopt;
    text.remove_prefix(start);
    if (text.starts_with("<?")) {
      size_t end = text.find("?>");
      if (end == std::string_view::npos) return std::nullopt;
      text.remove_prefix(end + 2);
    } else if (text.starts_with("<!--")) {
      size_t end = text.find("-->", 4);
      if (end == std::string_view::npos) return std::nullopt;
      text.remove_prefix(end + 3);
    } else if (text.starts_with("<!DOCTYPE")) {
      // An internal subset in brackets may itself contain '>'.
      size_t bracket = text.find('[');
      size_t close = text.find('>');
      if (bracket != std::string_view::npos && bracket < close) {
        size_t subset_end = text.find(']', bracket);
        if (subset_end == std::string_view::npos) return std::nullopt;
        close = text.find('>', subset_end);
      }
      if (close == std::string_view::npos) return std::nullopt;
      text.remove_prefix(close + 1);
    } else if (text.starts_with("<")) {
      text.remove_prefix(1);
      size_t end = text.find_first_of(" \t\r\n/>");
      if (end == std::string_view::npos || end == 0) return std::nullopt;
      return text.substr(0, end);
    } else {
      return std::nullopt;
    }
  }
}

}  // namespace

Result<store::TestCounts> ParseJUnit(std::string_view xml, std::string_view file_name) {
  if (xml.size() > kMaxReportBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: test report is larger than {} MiB; not parsed", file_name,
                            kMaxReportBytes >> 20));
  }
  pugi::xml_document document;
  pugi::xml_parse_result parsed =
      document.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_auto);
  if (!parsed) {
    return Fail(
        ErrorCode::kInvalidArgument, fmt::format("not well-formed XML: {}", parsed.description()),
        LocationOf(xml, static_cast<size_t>(std::max<ptrdiff_t>(parsed.offset, 0)), file_name));
  }
  pugi::xml_node root = document.document_element();
  std::string_view root_name = root.name();
  if (root_name != "testsuites" && root_name != "testsuite") {
    // offset_debug() is the offset of the element's name; point at its '<' instead.
    ptrdiff_t name_offset = root.offset_debug();
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("not a JUnit report: root element is <{}>", root_name),
                name_offset > 0 ? LocationOf(xml, static_cast<size_t>(name_offset - 1), file_name)
                                : SourceLocation{std::string(file_name), 0, 0});
  }
  WideCounts counts;
  CountSuite(root, counts);
  constexpr int64_t kMax = std::numeric_limits<int>::max();
  if (counts.passed > kMax || counts.failed > kMax || counts.skipped > kMax) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: test counts are too large to be real", file_name));
  }
  return store::TestCounts{static_cast<int>(counts.passed), static_cast<int>(counts.failed),
                           static_cast<int>(counts.skipped)};
}

Result<store::TestCounts> ParseJUnitFile(const std::filesystem::path& path) {
  std::error_code error;
  uintmax_t size = std::filesystem::file_size(path, error);
  if (!error && size > kMaxReportBytes) {
    return Fail(ErrorCode::kInvalidArgument,
                fmt::format("{}: test report is larger than {} MiB; not parsed", path.string(),
                            kMaxReportBytes >> 20));
  }
  Result<std::string> text = ReadFile(path, kMaxReportBytes);
  if (!text) return std::unexpected(text.error());
  return ParseJUnit(*text, path.string());
}

bool LooksLikeJUnit(const std::filesystem::path& path) {
  if (AsciiLower(path.extension().string()) != ".xml") return false;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return false;
  std::string head(kSniffBytes, '\0');
  size_t filled = 0;
  while (filled < head.size()) {
    ssize_t n = ::read(fd, head.data() + filled, head.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    filled += static_cast<size_t>(n);
  }
  ::close(fd);
  head.resize(filled);
  std::optional<std::string_view> name = FirstElementName(head);
  return name && (*name == "testsuites" || *name == "testsuite");
}

}  // namespace lockstep::engine
