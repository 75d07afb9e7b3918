// Which instruction set the kernels run on, decided once per process.
#pragma once

namespace convcore {

// generic: baseline x86-64 (SSE2), baseline arm64, or any other architecture, in plain
// loops; avx2: AVX2 + FMA; avx512: AVX-512 F, DQ, BW and VL besides (32 vector registers,
// masks, 512-bit vectors); neon: arm64's Advanced SIMD in intrinsics.
enum class Isa { kGeneric, kAvx2, kAvx512, kNeon };

// True when the CPU has AVX2 and FMA and the OS saves the YMM registers (cpuid + xgetbv).
bool cpuHasAvx2Fma();

// True when the CPU also has AVX-512 F/DQ/BW/VL and the OS saves the opmask and ZMM
// registers (XCR0 bits 5-7).
bool cpuHasAvx512();

// True where the CPU is known to run a 512-bit FMA as two 256-bit halves, so that
// AVX-512 has AVX2's peak: AMD family 25 (Zen 4, the only AVX-512 parts of that family).
// Zen 5 (family 26) and Intel's server cores are taken to run them at full width.
bool cpuSplitsAvx512();

// True on arm64, where NEON is part of the architecture.
bool cpuHasNeon();

// Whether this CPU can run a level's kernels (generic: always).
bool cpuHas(Isa isa);

// The ISA in use: the best the CPU supports, unless CONVCORE_ISA=generic|avx2|avx512|neon
// names another it has (a level the CPU lacks falls back to the best it has).
Isa activeIsa();

// The level a name (as isaName gives it) stands for; false for an unknown name.
bool isaFromName(const char* name, Isa* isa);

const char* isaName(Isa isa);

}  // namespace convcore
