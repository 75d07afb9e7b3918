// The engine for arm64's NEON (Advanced SIMD, in every AArch64 CPU); this file alone
// defines CONVCORE_NEON, which makes simd.h use NEON's registers.
#define CONVCORE_ISA_NAMESPACE neon
#define CONVCORE_NEON 1
#include "engine_impl.h"
