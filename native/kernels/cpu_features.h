// Which instruction set the kernels run on, decided once per process.
#pragma once

namespace convcore {

// generic: baseline x86-64 (SSE2) or any other architecture; avx2: AVX2 + FMA;
// avx512: AVX-512 F, DQ, BW and VL besides (32 vector registers, masks, 512-bit vectors).
enum class Isa { kGeneric, kAvx2, kAvx512 };

// True when the CPU has AVX2 and FMA and the OS saves the YMM registers (cpuid + xgetbv).
bool cpuHasAvx2Fma();

// True when the CPU also has AVX-512 F/DQ/BW/VL and the OS saves the opmask and ZMM
// registers (XCR0 bits 5-7).
bool cpuHasAvx512();

// The ISA in use: the best the CPU supports, unless CONVCORE_ISA=generic|avx2|avx512
// asks for a lower one (a level the CPU lacks falls back to the best it has).
Isa activeIsa();

const char* isaName(Isa isa);

}  // namespace convcore
