// A YAML document as a tree that remembers where every node came from.
//
// yaml-cpp's own Node loses duplicate keys and whether a scalar was quoted; lockstep needs
// both to report duplicate action names and to tell `1.0` from `"1.0"`. ParseYaml builds this
// tree from yaml-cpp's event parser instead. Trees are plain values; thread-compatible.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "base/error.h"

namespace lockstep::yaml {

// A position in the source: line and column count from 1.
struct Mark {
  int line = 0;
  int column = 0;
};

enum class NodeKind { kNull, kScalar, kSequence, kMap };

// What a scalar means under YAML's core schema. Quoted scalars are always strings.
enum class ScalarType { kString, kBool, kInteger, kFloat, kNull };

struct MapEntry;

struct Node {
  NodeKind kind = NodeKind::kNull;
  Mark mark;
  std::string value;              // the text of a scalar
  bool plain = false;             // scalar written without quotes (its type is inferred)
  std::vector<Node> items;        // a sequence's items
  std::vector<MapEntry> entries;  // a mapping's entries, in order, duplicates kept

  bool IsNull() const { return kind == NodeKind::kNull; }
  bool IsScalar() const { return kind == NodeKind::kScalar; }
  bool IsSequence() const { return kind == NodeKind::kSequence; }
  bool IsMap() const { return kind == NodeKind::kMap; }

  // The core-schema type of a scalar; kNull for null nodes.
  ScalarType scalar_type() const;

  // The value of the first entry whose key is the scalar `key`, or nullptr.
  const Node* Find(std::string_view key) const;
  // The first entry whose key is the scalar `key`, or nullptr.
  const MapEntry* FindEntry(std::string_view key) const;
};

struct MapEntry {
  Node key;
  Node value;
};

// "a string", "a number", "a list", "a mapping", … for messages like "expected X, found Y".
std::string_view DescribeKind(const Node& node);

struct ParseLimits {
  size_t max_nodes = 1'000'000;  // guards against alias expansion ("billion laughs")
};

// Parses exactly one YAML document from `text`. An empty text gives a null root. Syntax
// errors fail with kInvalidArgument and the location in `file_name`.
Result<Node> ParseYaml(std::string_view text, std::string_view file_name,
                       const ParseLimits& limits = {});

}  // namespace lockstep::yaml
