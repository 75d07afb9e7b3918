#include "cpu_features.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace convcore {

namespace {

#if defined(__x86_64__) || defined(__i386__)
// XCR0: which register state the OS saves on context switches.
unsigned long long xcr0() {
  unsigned lo, hi;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  return (static_cast<unsigned long long>(hi) << 32) | lo;
}
#endif

}  // namespace

bool cpuHasAvx2Fma() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool fma = ecx & (1u << 12);
  const bool osxsave = ecx & (1u << 27);
  const bool avx = ecx & (1u << 28);
  if (!(fma && osxsave && avx)) return false;
  if ((xcr0() & 0x6) != 0x6) return false;  // SSE and AVX state
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return ebx & (1u << 5);  // AVX2
#else
  return false;
#endif
}

bool cpuHasAvx512() {
#if defined(__x86_64__) || defined(__i386__)
  if (!cpuHasAvx2Fma()) return false;
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  const unsigned f = 1u << 16, dq = 1u << 17, bw = 1u << 30, vl = 1u << 31;
  if ((ebx & (f | dq | bw | vl)) != (f | dq | bw | vl)) return false;
  return (xcr0() & 0xe6) == 0xe6;  // SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM
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
