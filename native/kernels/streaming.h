// When kernels write their results with streaming stores: shared by every ISA build and
// by the dispatch table, which picks a build by it.
#pragma once

#include <cstdint>

namespace convcore {

// Outputs larger than this many floats (16 MiB) are written with streaming stores.
constexpr int64_t kStreamingOutputFloats = int64_t(1) << 22;

}  // namespace convcore
