// On architectures other than x86 the "avx2" and "avx512" tables are the generic one;
// activeIsa() never selects them there (cpuHasAvx2Fma() and cpuHasAvx512() are false).
#include "engine.h"

namespace convcore {
namespace avx2 {
const ConvKernels& kernels() { return generic::kernels(); }
}  // namespace avx2
namespace avx512 {
const ConvKernels& kernels() { return generic::kernels(); }
}  // namespace avx512
}  // namespace convcore
