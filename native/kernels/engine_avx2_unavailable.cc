// On architectures without AVX2 the "avx2" table is the generic one; activeIsa()
// never selects it there because cpuHasAvx2Fma() is false.
#include "engine.h"

namespace convcore {
namespace avx2 {
const ConvKernels& kernels() { return generic::kernels(); }
}  // namespace avx2
}  // namespace convcore
