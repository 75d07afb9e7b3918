// What the kernels ask of the compiler beyond standard C++17, spelled once for GCC and
// clang and once for MSVC: inlining hints, loop unrolling, prefetching, a spin-wait hint,
// a bit cast and 64-byte-aligned allocation.
#pragma once

#include <cstdlib>
#include <cstring>

#if defined(_MSC_VER) && !defined(__clang__)
#include <intrin.h>
#include <malloc.h>
#define CONVCORE_NOINLINE __declspec(noinline)
#define CONVCORE_ALWAYS_INLINE __forceinline
// MSVC has no unroll pragma: its own heuristics decide.
#define CONVCORE_UNROLL(n)
#if defined(_M_ARM64)
#define CONVCORE_PREFETCH(p) __prefetch(p)
#else
#define CONVCORE_PREFETCH(p) _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T0)
#endif
#else
#define CONVCORE_NOINLINE __attribute__((noinline))
#define CONVCORE_ALWAYS_INLINE __attribute__((always_inline)) inline
#define CONVCORE_PRAGMA(text) _Pragma(#text)
#if defined(__clang__)
#define CONVCORE_UNROLL(n) CONVCORE_PRAGMA(unroll n)
#else
#define CONVCORE_UNROLL(n) CONVCORE_PRAGMA(GCC unroll n)
#endif
#define CONVCORE_PREFETCH(p) __builtin_prefetch(p)
#endif

#if (defined(__x86_64__) || defined(__i386__)) && !defined(_MSC_VER)
#include <immintrin.h>
#endif

namespace convcore {

// The bits of `from` as a `To` of the same size (C++20's std::bit_cast).
template <typename To, typename From>
inline To bitCast(const From& from) {
  static_assert(sizeof(To) == sizeof(From), "bitCast needs types of one size");
  To to;
  std::memcpy(&to, &from, sizeof(To));
  return to;
}

// One step of a spin-wait: tells the core (and a hyperthread sibling) that this thread
// only polls.
inline void cpuRelax() {
#if defined(_MSC_VER) && !defined(__clang__) && defined(_M_ARM64)
  __yield();
#elif defined(_MSC_VER) && !defined(__clang__)
  _mm_pause();
#elif defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__) || defined(__arm__)
  __asm__ __volatile__("yield");
#endif
}

// `bytes` (a multiple of 64) aligned to 64 bytes, or nullptr; freed with alignedFree.
inline void* alignedAlloc(size_t bytes) {
#if defined(_MSC_VER) && !defined(__clang__)
  return _aligned_malloc(bytes, 64);
#else
  return std::aligned_alloc(64, bytes);
#endif
}

inline void alignedFree(void* p) {
#if defined(_MSC_VER) && !defined(__clang__)
  _aligned_free(p);
#else
  std::free(p);
#endif
}

}  // namespace convcore
