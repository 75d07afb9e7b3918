#include "cpu_features.h"

#include <cstdlib>
#include <cstring>
#include <mutex>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

namespace convcore {

bool cpuHasAvx2Fma() {
#if defined(__x86_64__) || defined(__i386__)
  unsigned eax, ebx, ecx, edx;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return false;
  const bool fma = ecx & (1u << 12);
  const bool osxsave = ecx & (1u << 27);
  const bool avx = ecx & (1u << 28);
  if (!(fma && osxsave && avx)) return false;
  // XCR0 bits 1 and 2: the OS saves SSE and AVX state on context switches.
  unsigned xcr0_lo, xcr0_hi;
  __asm__ volatile("xgetbv" : "=a"(xcr0_lo), "=d"(xcr0_hi) : "c"(0));
  if ((xcr0_lo & 0x6) != 0x6) return false;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return ebx & (1u << 5);  // AVX2
#else
  return false;
#endif
}

Isa activeIsa() {
  static std::once_flag once;
  static Isa chosen = Isa::kGeneric;  // written once, under call_once
  std::call_once(once, [] {
    const bool avx2 = cpuHasAvx2Fma();
    const char* forced = std::getenv("CONVCORE_ISA");
    if (forced != nullptr && std::strcmp(forced, "generic") == 0) {
      chosen = Isa::kGeneric;
    } else {
      chosen = avx2 ? Isa::kAvx2 : Isa::kGeneric;
    }
  });
  return chosen;
}

const char* isaName(Isa isa) { return isa == Isa::kAvx2 ? "avx2" : "generic"; }

}  // namespace convcore
