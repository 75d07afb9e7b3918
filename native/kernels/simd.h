// An 8-float vector for the kernels: AVX2+FMA intrinsics when the translation unit is
// compiled with -mavx2 -mfma, plain arrays (which the compiler maps to SSE) otherwise.
// Everything lives in the ISA namespace of the including file, so the two builds of
// the same kernels never collide (one definition rule).
#pragma once

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define CONVCORE_HAVE_AVX2 1
#else
#define CONVCORE_HAVE_AVX2 0
#endif

#include <cstdint>

#ifndef CONVCORE_ISA_NAMESPACE
#error "define CONVCORE_ISA_NAMESPACE before including simd.h"
#endif

namespace convcore {
namespace CONVCORE_ISA_NAMESPACE {

constexpr int kLanes = 8;

#if CONVCORE_HAVE_AVX2
struct V8 {
  __m256 v;
};
inline V8 zero() { return {_mm256_setzero_ps()}; }
inline V8 load(const float* p) { return {_mm256_loadu_ps(p)}; }
// load(), kept in a register: where one loaded vector feeds several multiply-adds, GCC
// may fold the load into each of them instead, turning one load into several (the
// 5×5 filter's row tiles were bound by loads that way).
inline V8 loadToRegister(const float* p) {
  V8 r = load(p);
#if defined(__GNUC__)
  asm("" : "+x"(r.v));
#endif
  return r;
}
inline void store(float* p, V8 a) { _mm256_storeu_ps(p, a.v); }
inline V8 broadcast(float x) { return {_mm256_set1_ps(x)}; }
inline V8 broadcast(const float* p) { return {_mm256_broadcast_ss(p)}; }
inline V8 add(V8 a, V8 b) { return {_mm256_add_ps(a.v, b.v)}; }
// A store that bypasses the caches (p 32-byte aligned): for outputs too large to be
// re-read from cache, it saves the read-for-ownership of every line.
inline void streamStore(float* p, V8 a) { _mm256_stream_ps(p, a.v); }
// Orders this thread's streaming stores before whatever it does next.
inline void streamFence() { _mm_sfence(); }
// a * b + c, fused (one rounding).
inline V8 fmadd(V8 a, V8 b, V8 c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
// Sums of four vectors' lanes, in a fixed order: out[i] = Σ lanes of vi.
inline void sum4(V8 a, V8 b, V8 c, V8 d, float* out) {
  const __m256 ab = _mm256_hadd_ps(a.v, b.v);
  const __m256 cd = _mm256_hadd_ps(c.v, d.v);
  const __m256 abcd = _mm256_hadd_ps(ab, cd);
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
  _mm_storeu_ps(out, s);
}
// Eight bytes as eight floats, and eight floats (already in [0, 255]) rounded to
// nearest (ties to even, the default rounding mode) and stored as eight bytes.
inline V8 loadBytes(const uint8_t* p) {
  return {_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))))};
}
inline void storeBytes(uint8_t* p, V8 a) {
  const __m256i i32 = _mm256_cvtps_epi32(a.v);
  const __m128i i16 = _mm_packus_epi32(_mm256_castsi256_si128(i32), _mm256_extracti128_si256(i32, 1));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(p), _mm_packus_epi16(i16, i16));
}
// evens[i] = p[2i], odds[i] = p[2i + 1] for i < 8: 16 floats split by parity.
inline void storeDeinterleaved(const float* p, float* evens, float* odds) {
  const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
  const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0)), o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
  _mm256_storeu_ps(evens, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), _MM_SHUFFLE(3, 1, 2, 0))));
  _mm256_storeu_ps(odds, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), _MM_SHUFFLE(3, 1, 2, 0))));
}
// p[2i] += a[i] for i < 8 (stride-2 scatter): reads and writes p[0..16), adding +0 to
// the odd elements (which leaves them as they were, but for a −0 that becomes +0).
inline void addToEvens(float* p, V8 a) {
  const __m256 lo = _mm256_unpacklo_ps(a.v, _mm256_setzero_ps());  // a0 0 a1 0 | a4 0 a5 0
  const __m256 hi = _mm256_unpackhi_ps(a.v, _mm256_setzero_ps());  // a2 0 a3 0 | a6 0 a7 0
  _mm256_storeu_ps(p, _mm256_add_ps(_mm256_loadu_ps(p), _mm256_permute2f128_ps(lo, hi, 0x20)));
  _mm256_storeu_ps(p + 8, _mm256_add_ps(_mm256_loadu_ps(p + 8), _mm256_permute2f128_ps(lo, hi, 0x31)));
}
inline V8 maxv(V8 a, V8 b) { return {_mm256_max_ps(a.v, b.v)}; }  // b if a is NaN
inline V8 minv(V8 a, V8 b) { return {_mm256_min_ps(a.v, b.v)}; }
inline V8 absv(V8 a) { return {_mm256_andnot_ps(_mm256_set1_ps(-0.0f), a.v)}; }
#else
struct V8 {
  float v[kLanes];
};
inline V8 zero() { return V8{}; }
inline V8 load(const float* p) {
  V8 r;
  for (int i = 0; i < kLanes; ++i) r.v[i] = p[i];
  return r;
}
inline V8 loadToRegister(const float* p) { return load(p); }
inline void store(float* p, V8 a) {
  for (int i = 0; i < kLanes; ++i) p[i] = a.v[i];
}
inline V8 broadcast(float x) {
  V8 r;
  for (int i = 0; i < kLanes; ++i) r.v[i] = x;
  return r;
}
inline V8 broadcast(const float* p) { return broadcast(*p); }
inline V8 add(V8 a, V8 b) {
  for (int i = 0; i < kLanes; ++i) a.v[i] += b.v[i];
  return a;
}
inline void streamStore(float* p, V8 a) { store(p, a); }
inline void streamFence() {}
inline V8 fmadd(V8 a, V8 b, V8 c) {
  for (int i = 0; i < kLanes; ++i) c.v[i] += a.v[i] * b.v[i];
  return c;
}
inline V8 loadBytes(const uint8_t* p) {
  V8 r;
  for (int i = 0; i < kLanes; ++i) r.v[i] = p[i];
  return r;
}
inline void storeBytes(uint8_t* p, V8 a) {
  constexpr float kRound = 8388608.0f;  // (v + 2^23) − 2^23 rounds v in [0, 2^23) to nearest, ties to even
  for (int i = 0; i < kLanes; ++i) p[i] = static_cast<uint8_t>(static_cast<int32_t>((a.v[i] + kRound) - kRound));
}
inline void storeDeinterleaved(const float* p, float* evens, float* odds) {
  for (int i = 0; i < kLanes; ++i) {
    evens[i] = p[2 * i];
    odds[i] = p[2 * i + 1];
  }
}
inline void addToEvens(float* p, V8 a) {
  for (int i = 0; i < kLanes; ++i) p[2 * i] += a.v[i];
}
inline V8 maxv(V8 a, V8 b) {
  for (int i = 0; i < kLanes; ++i) a.v[i] = a.v[i] > b.v[i] ? a.v[i] : b.v[i];  // b if a is NaN
  return a;
}
inline V8 minv(V8 a, V8 b) {
  for (int i = 0; i < kLanes; ++i) a.v[i] = a.v[i] < b.v[i] ? a.v[i] : b.v[i];
  return a;
}
inline V8 absv(V8 a) {
  for (int i = 0; i < kLanes; ++i) a.v[i] = a.v[i] < 0.0f ? -a.v[i] : a.v[i];
  return a;
}
inline void sum4(V8 a, V8 b, V8 c, V8 d, float* out) {
  const V8* vs[4] = {&a, &b, &c, &d};
  for (int k = 0; k < 4; ++k) {
    const float* x = vs[k]->v;
    out[k] = ((x[0] + x[1]) + (x[2] + x[3])) + ((x[4] + x[5]) + (x[6] + x[7]));
  }
}
#endif

// dst[i] = src[i] + bias for i < count; streaming stores when `stream` (large outputs).
inline void storeRow(float* dst, const float* src, int64_t count, float bias, bool stream) {
  int64_t i = 0;
  const V8 b = broadcast(bias);
  if (stream) {
    for (; i < count && (reinterpret_cast<uintptr_t>(dst + i) & 31) != 0; ++i) dst[i] = src[i] + bias;
    for (; i + kLanes <= count; i += kLanes) streamStore(dst + i, add(load(src + i), b));
  } else {
    for (; i + kLanes <= count; i += kLanes) store(dst + i, add(load(src + i), b));
  }
  for (; i < count; ++i) dst[i] = src[i] + bias;
}

// Outputs larger than this many floats (16 MiB) are written with streaming stores.
constexpr int64_t kStreamingOutputFloats = int64_t(1) << 22;

}  // namespace CONVCORE_ISA_NAMESPACE
}  // namespace convcore
