// On architectures other than arm64 the "neon" table is the generic one; activeIsa()
// never selects it there (cpuHasNeon() is false).
#include "engine.h"

namespace convcore {
namespace neon {
const ConvKernels& kernels() { return generic::kernels(); }
}  // namespace neon
}  // namespace convcore
