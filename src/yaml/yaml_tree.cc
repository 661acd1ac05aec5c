#include "yaml/yaml_tree.h"

#include <fmt/core.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <cctype>
#include <map>
#include <sstream>

namespace lockstep::yaml {
namespace {

bool IsOneOf(std::string_view value, std::initializer_list<std::string_view> options) {
  for (std::string_view option : options) {
    if (value == option) return true;
  }
  return false;
}

bool AllOf(std::string_view text, int (*predicate)(int)) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [&](char c) {
    return predicate(static_cast<unsigned char>(c)) != 0;
  });
}

// YAML 1.2 core schema integers: decimal with an optional sign, 0o octal, 0x hexadecimal.
bool LooksLikeInteger(std::string_view text) {
  if (text.starts_with("0x")) return AllOf(text.substr(2), isxdigit);
  if (text.starts_with("0o")) {
    text.remove_prefix(2);
    return AllOf(text, isdigit) && text.find_first_of("89") == std::string_view::npos;
  }
  if (text.starts_with('-') || text.starts_with('+')) text.remove_prefix(1);
  return AllOf(text, isdigit);
}

bool LooksLikeFloat(std::string_view text) {
  if (IsOneOf(text, {".inf", ".Inf", ".INF", "+.inf", "-.inf", "+.Inf", "-.Inf", ".nan", ".NaN",
                     ".NAN"})) {
    return true;
  }
  if (text.starts_with('-') || text.starts_with('+')) text.remove_prefix(1);
  bool digits = false;
  bool dot = false;
  bool exponent = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = true;
    } else if (c == '.' && !dot && !exponent) {
      dot = true;
    } else if ((c == 'e' || c == 'E') && digits && !exponent) {
      exponent = true;
      if (i + 1 < text.size() && (text[i + 1] == '+' || text[i + 1] == '-')) ++i;
      digits = false;
    } else {
      return false;
    }
  }
  return digits && (dot || exponent);
}

Mark ToMark(const YAML::Mark& mark) { return {mark.line + 1, mark.column + 1}; }

// Builds the tree from yaml-cpp events with an explicit stack, so nesting depth costs heap,
// not C++ stack.
class TreeBuilder final : public YAML::EventHandler {
 public:
  TreeBuilder(std::string_view source, const ParseLimits& limits)
      : source_(source), limits_(limits) {}

  void OnDocumentStart(const YAML::Mark& mark) override { document_mark_ = ToMark(mark); }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    Node node;
    node.kind = NodeKind::kNull;
    node.mark = ToMark(mark);
    Add(std::move(node), anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto found = anchors_.find(anchor);
    if (found == anchors_.end()) {
      throw YAML::ParserException(mark, "unknown alias");
    }
    // Count before copying so that nested aliases cannot grow memory past the limit.
    node_count_ += found->second.size;
    if (node_count_ > limits_.max_nodes) ThrowTooLarge(mark);
    Node copy = found->second.node;
    copy.mark = ToMark(mark);
    Add(std::move(copy), 0);
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    Node node;
    node.kind = NodeKind::kScalar;
    node.mark = ToMark(mark);
    node.value = value;
    // "?" is yaml-cpp's tag for plain scalars; "!" for quoted and block scalars.
    node.plain = tag == "?";
    if (!node.plain) CheckQuoteIsClosed(mark);
    Add(std::move(node), anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value) override {
    Open(NodeKind::kSequence, mark, anchor);
  }
  void OnSequenceEnd() override { Close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value) override {
    Open(NodeKind::kMap, mark, anchor);
  }
  void OnMapEnd() override { Close(); }

  Mark document_mark() const { return document_mark_; }
  Node TakeRoot() { return std::move(root_); }

 private:
  struct Frame {
    Node node;
    YAML::anchor_t anchor = 0;
    bool expecting_value = false;  // maps: a key has been read, its value comes next
    Node pending_key;
  };

  // yaml-cpp accepts a quoted scalar that runs to the end of the input; YAML does not.
  void CheckQuoteIsClosed(const YAML::Mark& mark) const {
    if (mark.pos < 0 || static_cast<size_t>(mark.pos) >= source_.size()) return;
    char quote = source_[static_cast<size_t>(mark.pos)];
    if (quote != '"' && quote != '\'') return;
    for (size_t i = static_cast<size_t>(mark.pos) + 1; i < source_.size(); ++i) {
      if (quote == '"' && source_[i] == '\\') {
        ++i;
      } else if (source_[i] == quote) {
        if (quote == '\'' && i + 1 < source_.size() && source_[i + 1] == '\'') {
          ++i;  // '' is an escaped quote
          continue;
        }
        return;
      }
    }
    throw YAML::ParserException(mark, "unterminated quoted string");
  }

  struct Anchored {
    Node node;
    size_t size = 0;
  };

  [[noreturn]] void ThrowTooLarge(const YAML::Mark& mark) const {
    throw YAML::ParserException(
        mark, fmt::format("the document has more than {} nodes once aliases are expanded",
                          limits_.max_nodes));
  }

  static size_t CountNodes(const Node& node) {
    size_t count = 1;
    for (const Node& item : node.items) count += CountNodes(item);
    for (const MapEntry& entry : node.entries)
      count += CountNodes(entry.key) + CountNodes(entry.value);
    return count;
  }

  void Open(NodeKind kind, const YAML::Mark& mark, YAML::anchor_t anchor) {
    Frame frame;
    frame.node.kind = kind;
    frame.node.mark = ToMark(mark);
    frame.anchor = anchor;
    stack_.push_back(std::move(frame));
  }

  void Close() {
    Frame frame = std::move(stack_.back());
    stack_.pop_back();
    Add(std::move(frame.node), frame.anchor);
  }

  void Add(Node node, YAML::anchor_t anchor) {
    if (++node_count_ > limits_.max_nodes) ThrowTooLarge(YAML::Mark::null_mark());
    if (anchor != 0) anchors_[anchor] = {node, CountNodes(node)};
    if (stack_.empty()) {
      root_ = std::move(node);
      return;
    }
    Frame& parent = stack_.back();
    if (parent.node.kind == NodeKind::kSequence) {
      parent.node.items.push_back(std::move(node));
    } else if (!parent.expecting_value) {
      parent.pending_key = std::move(node);
      parent.expecting_value = true;
    } else {
      parent.node.entries.push_back({std::move(parent.pending_key), std::move(node)});
      parent.expecting_value = false;
    }
  }

  std::string_view source_;
  const ParseLimits& limits_;
  std::vector<Frame> stack_;
  std::map<YAML::anchor_t, Anchored> anchors_;
  Node root_;
  Mark document_mark_;
  size_t node_count_ = 0;
};

// yaml-cpp reports an unclosed flow collection where it gave up, often lines later. Finds
// the byte offset of the `open` bracket ('[' or '{') before `end` that is still open, skipping
// quoted scalars and comments; npos when none is.
size_t FindUnclosedBracket(std::string_view source, size_t end, char open) {
  // yaml-cpp's error position can lie past the end of the input.
  end = std::min(end, source.size());
  std::vector<std::pair<char, size_t>> stack;
  char previous = '\n';  // the last character that is not a space
  for (size_t i = 0; i < end; ++i) {
    char c = source[i];
    bool token_start =
        previous == '\n' || std::string_view("[{,:-").find(previous) != std::string_view::npos;
    if ((c == '"' || c == '\'') && token_start) {
      for (++i; i < end && source[i] != c; ++i) {
        if (c == '"' && source[i] == '\\') ++i;
      }
    } else if (c == '#' && (i == 0 || source[i - 1] == ' ' || source[i - 1] == '\n')) {
      while (i < end && source[i] != '\n') ++i;
      c = '\n';
    } else if (c == '[' || c == '{') {
      stack.push_back({c, i});
    } else if ((c == ']' || c == '}') && !stack.empty()) {
      stack.pop_back();
    }
    if (c != ' ' && c != '\t') previous = c;
  }
  for (auto it = stack.rbegin(); it != stack.rend(); ++it) {
    if (it->first == open) return it->second;
  }
  return std::string_view::npos;
}

Mark MarkAt(std::string_view source, size_t offset) {
  Mark mark{1, 1};
  for (size_t i = 0; i < offset; ++i) {
    if (source[i] == '\n') {
      ++mark.line;
      mark.column = 1;
    } else {
      ++mark.column;
    }
  }
  return mark;
}

}  // namespace

ScalarType Node::scalar_type() const {
  if (kind == NodeKind::kNull) return ScalarType::kNull;
  if (kind != NodeKind::kScalar || !plain) return ScalarType::kString;
  if (IsOneOf(value, {"~", "null", "Null", "NULL", ""})) return ScalarType::kNull;
  if (IsOneOf(value, {"true", "True", "TRUE", "false", "False", "FALSE"})) return ScalarType::kBool;
  if (LooksLikeInteger(value)) return ScalarType::kInteger;
  if (LooksLikeFloat(value)) return ScalarType::kFloat;
  return ScalarType::kString;
}

const MapEntry* Node::FindEntry(std::string_view key) const {
  for (const MapEntry& entry : entries) {
    if (entry.key.IsScalar() && entry.key.value == key) return &entry;
  }
  return nullptr;
}

const Node* Node::Find(std::string_view key) const {
  const MapEntry* entry = FindEntry(key);
  return entry == nullptr ? nullptr : &entry->value;
}

std::string_view DescribeKind(const Node& node) {
  switch (node.kind) {
    case NodeKind::kNull:
      return "nothing";
    case NodeKind::kSequence:
      return "a list";
    case NodeKind::kMap:
      return "a mapping";
    case NodeKind::kScalar:
      break;
  }
  switch (node.scalar_type()) {
    case ScalarType::kString:
      return "a string";
    case ScalarType::kBool:
      return "a boolean";
    case ScalarType::kInteger:
    case ScalarType::kFloat:
      return "a number";
    case ScalarType::kNull:
      return "nothing";
  }
  return "a value";
}

Result<Node> ParseYaml(std::string_view text, std::string_view file_name,
                       const ParseLimits& limits) {
  std::istringstream input{std::string(text)};
  TreeBuilder builder(text, limits);
  try {
    YAML::Parser parser(input);
    if (!parser.HandleNextDocument(builder)) return Node{};
    Node root = builder.TakeRoot();
    TreeBuilder rest(text, limits);
    if (parser.HandleNextDocument(rest)) {
      Mark second = rest.document_mark();
      return Fail(ErrorCode::kInvalidArgument, "expected one YAML document, found a second one",
                  SourceLocation{std::string(file_name), second.line, second.column});
    }
    return root;
  } catch (const YAML::Exception& error) {
    SourceLocation location{std::string(file_name), 0, 0};
    if (!error.mark.is_null()) {
      location.line = error.mark.line + 1;
      location.column = error.mark.column + 1;
    }
    bool sequence = error.msg == "end of sequence flow not found";
    if ((sequence || error.msg == "end of map flow not found") && error.mark.pos >= 0) {
      char open = sequence ? '[' : '{';
      size_t at = FindUnclosedBracket(text, static_cast<size_t>(error.mark.pos), open);
      if (at != std::string_view::npos) {
        Mark mark = MarkAt(text, at);
        return Fail(ErrorCode::kInvalidArgument,
                    fmt::format("this '{}' is never closed (expected '{}' before line {})", open,
                                sequence ? ']' : '}', location.line),
                    SourceLocation{std::string(file_name), mark.line, mark.column});
      }
    }
    return Fail(ErrorCode::kInvalidArgument, error.msg, location);
  }
}

}  // namespace lockstep::yaml
