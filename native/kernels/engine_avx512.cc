// The engine for AVX-512 (F, DQ, BW, VL) with FMA; this file alone is compiled with
// -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma.
#define CONVCORE_ISA_NAMESPACE avx512
#include "engine_impl.h"
