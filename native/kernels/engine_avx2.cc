// The engine for AVX2 + FMA; this file alone is compiled with -mavx2 -mfma.
#define CONVCORE_ISA_NAMESPACE avx2
#include "engine_impl.h"
