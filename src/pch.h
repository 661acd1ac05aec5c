// Precompiled header: the heavy, stable standard and third-party headers most files use.
#pragma once

#include <fmt/core.h>

#include <algorithm>
#include <cstdint>
#include <expected>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>
