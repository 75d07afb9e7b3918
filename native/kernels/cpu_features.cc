#include "cpu_features.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__x86_64__) || defined(__i386__) || defined(_M_X64) || defined(_M_IX86)
#define CONVCORE_X86 1
#if defined(_MSC_VER) && !defined(__clang__)
#include <immintrin.h>
#include <intrin.h>
#else
#include <cpuid.h>
#endif
#else
#define CONVCORE_X86 0
#endif

namespace convcore {

namespace {

#if CONVCORE_X86
// cpuid(leaf, subleaf) into regs = {eax, ebx, ecx, edx}; false where the CPU has no such leaf.
bool cpuid(unsigned leaf, unsigned subleaf, unsigned regs[4]) {
#if defined(_MSC_VER) && !defined(__clang__)
  int highest[4];
  __cpuid(highest, static_cast<int>(leaf & 0x80000000u));
  if (static_cast<unsigned>(highest[0]) < leaf) return false;
  int r[4];
  __cpuidex(r, static_cast<int>(leaf), static_cast<int>(subleaf));
  for (int i = 0; i < 4; ++i) regs[i] = static_cast<unsigned>(r[i]);
  return true;
#else
  return __get_cpuid_count(leaf, subleaf, &regs[0], &regs[1], &regs[2], &regs[3]) != 0;
#endif
}

// XCR0: which register state the OS saves on context switches (read only where OSXSAVE is set).
unsigned long long xcr0() {
#if defined(_MSC_VER) && !defined(__clang__)
  return _xgetbv(0);
#else
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
#endif
}
#endif

}  // namespace

bool cpuHasAvx2Fma() {
#if CONVCORE_X86
  unsigned r[4];
  if (!cpuid(1, 0, r)) return false;
  const bool fma = r[2] & (1u << 12);
  const bool osxsave = r[2] & (1u << 27);
  const bool avx = r[2] & (1u << 28);
  if (!(fma && osxsave && avx)) return false;
  if ((xcr0() & 0x6) != 0x6) return false;  // SSE and AVX state
  if (!cpuid(7, 0, r)) return false;
  return r[1] & (1u << 5);  // AVX2
#else
  return false;
#endif
}

bool cpuHasAvx512() {
#if CONVCORE_X86
  if (!cpuHasAvx2Fma()) return false;
  unsigned r[4];
  if (!cpuid(7, 0, r)) return false;
  const unsigned f = 1u << 16, dq = 1u << 17, bw = 1u << 30, vl = 1u << 31;
  if ((r[1] & (f | dq | bw | vl)) != (f | dq | bw | vl)) return false;
  return (xcr0() & 0xe6) == 0xe6;  // SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM
#else
  return false;
#endif
}

bool cpuSplitsAvx512() {
#if CONVCORE_X86
  unsigned r[4];
  if (!cpuid(0, 0, r)) return false;
  // The vendor string is ebx, edx, ecx: "Auth" "enti" "cAMD".
  const bool amd = r[1] == 0x68747541u && r[3] == 0x69746e65u && r[2] == 0x444d4163u;
  if (!amd || !cpuid(1, 0, r)) return false;
  const unsigned base = (r[0] >> 8) & 0xf, extended = (r[0] >> 20) & 0xff;
  const unsigned family = base == 0xf ? base + extended : base;
  return family == 0x19 && cpuHasAvx512();
#else
  return false;
#endif
}

bool cpuHasNeon() {
#if defined(__aarch64__) || defined(_M_ARM64)
  return true;
#else
  return false;
#endif
}

bool cpuHas(Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return cpuHasAvx512();
    case Isa::kAvx2: return cpuHasAvx2Fma();
    case Isa::kNeon: return cpuHasNeon();
    default: return true;
  }
}

Isa activeIsa() {
  static std::once_flag once;
  static Isa chosen = Isa::kGeneric;  // written once, under call_once
  std::call_once(once, [] {
    const Isa best = cpuHasAvx512() ? Isa::kAvx512 : cpuHasAvx2Fma() ? Isa::kAvx2 : cpuHasNeon() ? Isa::kNeon : Isa::kGeneric;
    const char* forced = std::getenv("CONVCORE_ISA");
    Isa asked = best;
    if (forced != nullptr && isaFromName(forced, &asked) && cpuHas(asked)) {
      chosen = asked;
    } else {
      chosen = best;
    }
  });
  return chosen;
}

const char* isaName(Isa isa) {
  switch (isa) {
    case Isa::kAvx512: return "avx512";
    case Isa::kAvx2: return "avx2";
    case Isa::kNeon: return "neon";
    default: return "generic";
  }
}

bool isaFromName(const char* name, Isa* isa) {
  for (Isa level : {Isa::kGeneric, Isa::kAvx2, Isa::kAvx512, Isa::kNeon}) {
    if (std::strcmp(name, isaName(level)) == 0) {
      *isa = level;
      return true;
    }
  }
  return false;
}

}  // namespace convcore
