// A YAML scalar as JSON text, typed as YAML's core schema types it: `42` a number, `"42"` a
// string, `true` a boolean, `null` (or nothing) null. For values written in YAML and compared
// with JSON (expected values of HTTP checks). Pure; thread-safe.
#pragma once

#include <string>

#include "yaml/yaml_tree.h"

namespace lockstep::yaml {

// `node` must be a scalar or null. A number JSON cannot spell (0x1F, .inf) is a string, as
// written.
std::string ScalarAsJson(const Node& node);

}  // namespace lockstep::yaml
