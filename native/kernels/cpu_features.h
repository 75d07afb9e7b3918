// Which instruction set the kernels run on, decided once per process.
#pragma once

namespace convcore {

enum class Isa { kGeneric, kAvx2 };

// True when the CPU has AVX2 and FMA and the OS saves the YMM registers (cpuid + xgetbv).
bool cpuHasAvx2Fma();

// The ISA in use: the best the CPU supports, unless CONVCORE_ISA=generic|avx2 says
// otherwise (avx2 on a CPU without it falls back to generic).
Isa activeIsa();

const char* isaName(Isa isa);

}  // namespace convcore
