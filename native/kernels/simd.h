// The vector the kernels are written in, one per instruction set: 16 floats (__m512)
// when the translation unit is compiled for AVX-512, 8 (__m256) for AVX2 + FMA, 8 as two
// 128-bit registers (float32x4_t) for NEON (the arm64 build that defines CONVCORE_NEON),
// and 8 in plain arrays (which the compiler maps to SSE or NEON) otherwise. The kernels
// use kLanes and the tiles of blocking.h, never a width of their own, so each build runs
// at its vector's width.
// Everything lives in the ISA namespace of the including file, so the builds of the
// same kernels never collide (one definition rule).
#pragma once

#if defined(__AVX512F__) && defined(__AVX512DQ__) && defined(__AVX512BW__) && defined(__AVX512VL__)
#include <immintrin.h>
#define CONVCORE_HAVE_AVX512 1
#define CONVCORE_HAVE_AVX2 0
#define CONVCORE_HAVE_NEON 0
#elif defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#define CONVCORE_HAVE_AVX512 0
#define CONVCORE_HAVE_AVX2 1
#define CONVCORE_HAVE_NEON 0
#elif defined(CONVCORE_NEON) && defined(__aarch64__)
// NEON (Advanced SIMD) is part of every AArch64 CPU: the arm64 build needs no flag for it.
#include <arm_neon.h>
#define CONVCORE_HAVE_AVX512 0
#define CONVCORE_HAVE_AVX2 0
#define CONVCORE_HAVE_NEON 1
#else
#define CONVCORE_HAVE_AVX512 0
#define CONVCORE_HAVE_AVX2 0
#define CONVCORE_HAVE_NEON 0
#endif

#include <cmath>
#include <cstdint>

#include "streaming.h"

#ifndef CONVCORE_ISA_NAMESPACE
#error "define CONVCORE_ISA_NAMESPACE before including simd.h"
#endif

namespace convcore {
namespace CONVCORE_ISA_NAMESPACE {

constexpr int kLanes = CONVCORE_HAVE_AVX512 ? 16 : 8;
// A vector's bytes: the alignment of an aligned (streaming) store.
constexpr int64_t kVectorBytes = kLanes * sizeof(float);
// The tiles built on the vector, and the cache blocks around them: blocking.h.

#if CONVCORE_HAVE_AVX512
struct Vec {
  __m512 v;
};
inline Vec zero() { return {_mm512_setzero_ps()}; }
inline Vec load(const float* p) { return {_mm512_loadu_ps(p)}; }
// load(), kept in a register (see the AVX2 version).
inline Vec loadToRegister(const float* p) {
  Vec r = load(p);
#if defined(__GNUC__)
  asm("" : "+v"(r.v));
#endif
  return r;
}
inline void store(float* p, Vec a) { _mm512_storeu_ps(p, a.v); }
inline Vec broadcast(float x) { return {_mm512_set1_ps(x)}; }
inline Vec broadcast(const float* p) { return {_mm512_set1_ps(*p)}; }
inline Vec add(Vec a, Vec b) { return {_mm512_add_ps(a.v, b.v)}; }
inline Vec mul(Vec a, Vec b) { return {_mm512_mul_ps(a.v, b.v)}; }
inline Vec sub(Vec a, Vec b) { return {_mm512_sub_ps(a.v, b.v)}; }
inline Vec div(Vec a, Vec b) { return {_mm512_div_ps(a.v, b.v)}; }
inline void streamStore(float* p, Vec a) { _mm512_stream_ps(p, a.v); }
inline void streamFence() { _mm_sfence(); }
inline Vec fmadd(Vec a, Vec b, Vec c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
// Sums of four vectors' lanes, in a fixed order: the halves added, then as AVX2 does.
inline void sum4(Vec a, Vec b, Vec c, Vec d, float* out) {
  // The high half by a lane shuffle: GCC 12's _mm512_extractf32x8_ps warns of an
  // uninitialised variable in its own header.
  const auto half = [](Vec x) {
    const __m512 high = _mm512_shuffle_f32x4(x.v, x.v, _MM_SHUFFLE(3, 2, 3, 2));
    return _mm256_add_ps(_mm512_castps512_ps256(x.v), _mm512_castps512_ps256(high));
  };
  const __m256 ab = _mm256_hadd_ps(half(a), half(b));
  const __m256 cd = _mm256_hadd_ps(half(c), half(d));
  const __m256 abcd = _mm256_hadd_ps(ab, cd);
  _mm_storeu_ps(out, _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1)));
}
// Sixteen bytes as sixteen floats, and sixteen floats (already in [0, 255]) rounded to
// nearest (ties to even) and stored as sixteen bytes.
inline Vec loadBytes(const uint8_t* p) {
  return {_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))))};
}
inline void storeBytes(uint8_t* p, Vec a) {
  _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm512_cvtusepi32_epi8(_mm512_cvtps_epi32(a.v)));
}
// evens[i] = p[2i], odds[i] = p[2i + 1] for i < 16: 32 floats split by parity.
inline void storeDeinterleaved(const float* p, float* evens, float* odds) {
  const __m512 a = _mm512_loadu_ps(p), b = _mm512_loadu_ps(p + 16);
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
  _mm512_storeu_ps(evens, _mm512_permutex2var_ps(a, even, b));
  _mm512_storeu_ps(odds, _mm512_permutex2var_ps(a, odd, b));
}
// p[2i] += a[i] for i < 16 (stride-2 scatter): the even elements only (a masked add),
// so the odd ones are left exactly as they were.
inline void addToEvens(float* p, Vec a) {
  const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512 z = _mm512_setzero_ps();
  constexpr __mmask16 kEvens = 0x5555;
  _mm512_mask_storeu_ps(p, kEvens, _mm512_add_ps(_mm512_loadu_ps(p), _mm512_permutex2var_ps(a.v, lo, z)));
  _mm512_mask_storeu_ps(p + 16, kEvens, _mm512_add_ps(_mm512_loadu_ps(p + 16), _mm512_permutex2var_ps(a.v, hi, z)));
}
inline Vec maxv(Vec a, Vec b) { return {_mm512_max_ps(a.v, b.v)}; }  // b if a is NaN
inline Vec minv(Vec a, Vec b) { return {_mm512_min_ps(a.v, b.v)}; }
inline Vec absv(Vec a) { return {_mm512_abs_ps(a.v)}; }
inline Vec sqrtv(Vec a) { return {_mm512_sqrt_ps(a.v)}; }  // correctly rounded, as std::sqrt
// a where a > b or a is NaN, else b: the scalar maximumOf lane by lane (NaN sticks).
inline Vec maxPropagatingNaN(Vec a, Vec b) {
  return {_mm512_mask_blend_ps(_mm512_cmp_ps_mask(a.v, a.v, _CMP_UNORD_Q), _mm512_max_ps(a.v, b.v), a.v)};
}
inline Vec minPropagatingNaN(Vec a, Vec b) {
  return {_mm512_mask_blend_ps(_mm512_cmp_ps_mask(a.v, a.v, _CMP_UNORD_Q), _mm512_min_ps(a.v, b.v), a.v)};
}
// Whether any lane of a equals b's (−0 = +0; a NaN equals nothing); whether any lane is NaN.
inline bool anyEqual(Vec a, Vec b) { return _mm512_cmp_ps_mask(a.v, b.v, _CMP_EQ_OQ) != 0; }
inline bool anyNaN(Vec a) { return _mm512_cmp_ps_mask(a.v, a.v, _CMP_UNORD_Q) != 0; }
#elif CONVCORE_HAVE_AVX2
struct Vec {
  __m256 v;
};
inline Vec zero() { return {_mm256_setzero_ps()}; }
inline Vec load(const float* p) { return {_mm256_loadu_ps(p)}; }
// load(), kept in a register: where one loaded vector feeds several multiply-adds, GCC
// may fold the load into each of them instead, turning one load into several (the
// 5×5 filter's row tiles were bound by loads that way).
inline Vec loadToRegister(const float* p) {
  Vec r = load(p);
#if defined(__GNUC__)
  asm("" : "+x"(r.v));
#endif
  return r;
}
inline void store(float* p, Vec a) { _mm256_storeu_ps(p, a.v); }
inline Vec broadcast(float x) { return {_mm256_set1_ps(x)}; }
inline Vec broadcast(const float* p) { return {_mm256_broadcast_ss(p)}; }
inline Vec add(Vec a, Vec b) { return {_mm256_add_ps(a.v, b.v)}; }
inline Vec mul(Vec a, Vec b) { return {_mm256_mul_ps(a.v, b.v)}; }
inline Vec sub(Vec a, Vec b) { return {_mm256_sub_ps(a.v, b.v)}; }
inline Vec div(Vec a, Vec b) { return {_mm256_div_ps(a.v, b.v)}; }
// A store that bypasses the caches (p 32-byte aligned): for outputs too large to be
// re-read from cache, it saves the read-for-ownership of every line.
inline void streamStore(float* p, Vec a) { _mm256_stream_ps(p, a.v); }
// Orders this thread's streaming stores before whatever it does next.
inline void streamFence() { _mm_sfence(); }
// a * b + c, fused (one rounding).
inline Vec fmadd(Vec a, Vec b, Vec c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
// Sums of four vectors' lanes, in a fixed order: out[i] = Σ lanes of vi.
inline void sum4(Vec a, Vec b, Vec c, Vec d, float* out) {
  const __m256 ab = _mm256_hadd_ps(a.v, b.v);
  const __m256 cd = _mm256_hadd_ps(c.v, d.v);
  const __m256 abcd = _mm256_hadd_ps(ab, cd);
  const __m128 s = _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
  _mm_storeu_ps(out, s);
}
// Eight bytes as eight floats, and eight floats (already in [0, 255]) rounded to
// nearest (ties to even, the default rounding mode) and stored as eight bytes.
inline Vec loadBytes(const uint8_t* p) {
  return {_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))))};
}
inline void storeBytes(uint8_t* p, Vec a) {
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
inline void addToEvens(float* p, Vec a) {
  const __m256 lo = _mm256_unpacklo_ps(a.v, _mm256_setzero_ps());  // a0 0 a1 0 | a4 0 a5 0
  const __m256 hi = _mm256_unpackhi_ps(a.v, _mm256_setzero_ps());  // a2 0 a3 0 | a6 0 a7 0
  _mm256_storeu_ps(p, _mm256_add_ps(_mm256_loadu_ps(p), _mm256_permute2f128_ps(lo, hi, 0x20)));
  _mm256_storeu_ps(p + 8, _mm256_add_ps(_mm256_loadu_ps(p + 8), _mm256_permute2f128_ps(lo, hi, 0x31)));
}
inline Vec maxv(Vec a, Vec b) { return {_mm256_max_ps(a.v, b.v)}; }  // b if a is NaN
inline Vec minv(Vec a, Vec b) { return {_mm256_min_ps(a.v, b.v)}; }
inline Vec absv(Vec a) { return {_mm256_andnot_ps(_mm256_set1_ps(-0.0f), a.v)}; }
inline Vec sqrtv(Vec a) { return {_mm256_sqrt_ps(a.v)}; }
inline Vec maxPropagatingNaN(Vec a, Vec b) {
  return {_mm256_blendv_ps(_mm256_max_ps(a.v, b.v), a.v, _mm256_cmp_ps(a.v, a.v, _CMP_UNORD_Q))};
}
inline Vec minPropagatingNaN(Vec a, Vec b) {
  return {_mm256_blendv_ps(_mm256_min_ps(a.v, b.v), a.v, _mm256_cmp_ps(a.v, a.v, _CMP_UNORD_Q))};
}
inline bool anyEqual(Vec a, Vec b) { return _mm256_movemask_ps(_mm256_cmp_ps(a.v, b.v, _CMP_EQ_OQ)) != 0; }
inline bool anyNaN(Vec a) { return _mm256_movemask_ps(_mm256_cmp_ps(a.v, a.v, _CMP_UNORD_Q)) != 0; }
#elif CONVCORE_HAVE_NEON
// Two 128-bit registers: AVX2's 8 lanes, so the tiles and blocks of blocking.h carry over
// (32 registers hold the 6 × 16 GEMM tile's 24 accumulator halves and its operands).
struct Vec {
  float32x4_t lo, hi;
};
inline Vec zero() { return {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)}; }
inline Vec load(const float* p) { return {vld1q_f32(p), vld1q_f32(p + 4)}; }
inline Vec loadToRegister(const float* p) {
  Vec r = load(p);
#if defined(__GNUC__)
  asm("" : "+w"(r.lo), "+w"(r.hi));
#endif
  return r;
}
inline void store(float* p, Vec a) {
  vst1q_f32(p, a.lo);
  vst1q_f32(p + 4, a.hi);
}
inline Vec broadcast(float x) { return {vdupq_n_f32(x), vdupq_n_f32(x)}; }
inline Vec broadcast(const float* p) {
  const float32x4_t v = vld1q_dup_f32(p);
  return {v, v};
}
inline Vec add(Vec a, Vec b) { return {vaddq_f32(a.lo, b.lo), vaddq_f32(a.hi, b.hi)}; }
inline Vec mul(Vec a, Vec b) { return {vmulq_f32(a.lo, b.lo), vmulq_f32(a.hi, b.hi)}; }
inline Vec sub(Vec a, Vec b) { return {vsubq_f32(a.lo, b.lo), vsubq_f32(a.hi, b.hi)}; }
inline Vec div(Vec a, Vec b) { return {vdivq_f32(a.lo, b.lo), vdivq_f32(a.hi, b.hi)}; }
// NEON has no streaming-store intrinsic: plain stores.
inline void streamStore(float* p, Vec a) { store(p, a); }
inline void streamFence() {}
inline Vec fmadd(Vec a, Vec b, Vec c) { return {vfmaq_f32(c.lo, a.lo, b.lo), vfmaq_f32(c.hi, a.hi, b.hi)}; }
// Sums of four vectors' lanes, in a fixed order: the halves added, then pairwise.
inline void sum4(Vec a, Vec b, Vec c, Vec d, float* out) {
  const float32x4_t ab = vpaddq_f32(vaddq_f32(a.lo, a.hi), vaddq_f32(b.lo, b.hi));
  const float32x4_t cd = vpaddq_f32(vaddq_f32(c.lo, c.hi), vaddq_f32(d.lo, d.hi));
  vst1q_f32(out, vpaddq_f32(ab, cd));
}
// Eight bytes as eight floats, and eight floats (already in [0, 255]) rounded to nearest
// (ties to even: FCVTNS) and stored as eight bytes.
inline Vec loadBytes(const uint8_t* p) {
  const uint16x8_t h = vmovl_u8(vld1_u8(p));
  return {vcvtq_f32_u32(vmovl_u16(vget_low_u16(h))), vcvtq_f32_u32(vmovl_u16(vget_high_u16(h)))};
}
inline void storeBytes(uint8_t* p, Vec a) {
  const uint16x8_t h = vcombine_u16(vqmovun_s32(vcvtnq_s32_f32(a.lo)), vqmovun_s32(vcvtnq_s32_f32(a.hi)));
  vst1_u8(p, vqmovn_u16(h));
}
// evens[i] = p[2i], odds[i] = p[2i + 1] for i < 8: 16 floats split by parity.
inline void storeDeinterleaved(const float* p, float* evens, float* odds) {
  const float32x4x2_t a = vld2q_f32(p), b = vld2q_f32(p + 8);
  vst1q_f32(evens, a.val[0]);
  vst1q_f32(evens + 4, b.val[0]);
  vst1q_f32(odds, a.val[1]);
  vst1q_f32(odds + 4, b.val[1]);
}
// p[2i] += a[i] for i < 8 (stride-2 scatter): the odd elements are loaded and stored
// back as they were (bit for bit).
inline void addToEvens(float* p, Vec a) {
  float32x4x2_t x = vld2q_f32(p);
  x.val[0] = vaddq_f32(x.val[0], a.lo);
  vst2q_f32(p, x);
  float32x4x2_t y = vld2q_f32(p + 8);
  y.val[0] = vaddq_f32(y.val[0], a.hi);
  vst2q_f32(p + 8, y);
}
// As x86's max and min: b where a is NaN (or either is), so every build agrees.
inline Vec maxv(Vec a, Vec b) {
  return {vbslq_f32(vcgtq_f32(a.lo, b.lo), a.lo, b.lo), vbslq_f32(vcgtq_f32(a.hi, b.hi), a.hi, b.hi)};
}
inline Vec minv(Vec a, Vec b) {
  return {vbslq_f32(vcltq_f32(a.lo, b.lo), a.lo, b.lo), vbslq_f32(vcltq_f32(a.hi, b.hi), a.hi, b.hi)};
}
inline Vec absv(Vec a) { return {vabsq_f32(a.lo), vabsq_f32(a.hi)}; }
inline Vec sqrtv(Vec a) { return {vsqrtq_f32(a.lo), vsqrtq_f32(a.hi)}; }
inline float32x4_t maxPropagatingNaN(float32x4_t a, float32x4_t b) {
  const uint32x4_t takeA = vorrq_u32(vcgtq_f32(a, b), vmvnq_u32(vceqq_f32(a, a)));
  return vbslq_f32(takeA, a, b);
}
inline float32x4_t minPropagatingNaN(float32x4_t a, float32x4_t b) {
  const uint32x4_t takeA = vorrq_u32(vcltq_f32(a, b), vmvnq_u32(vceqq_f32(a, a)));
  return vbslq_f32(takeA, a, b);
}
inline Vec maxPropagatingNaN(Vec a, Vec b) { return {maxPropagatingNaN(a.lo, b.lo), maxPropagatingNaN(a.hi, b.hi)}; }
inline Vec minPropagatingNaN(Vec a, Vec b) { return {minPropagatingNaN(a.lo, b.lo), minPropagatingNaN(a.hi, b.hi)}; }
inline bool anyEqual(Vec a, Vec b) {
  return vmaxvq_u32(vorrq_u32(vceqq_f32(a.lo, b.lo), vceqq_f32(a.hi, b.hi))) != 0;
}
inline bool anyNaN(Vec a) {
  return vminvq_u32(vandq_u32(vceqq_f32(a.lo, a.lo), vceqq_f32(a.hi, a.hi))) == 0;
}
#else
struct Vec {
  float v[kLanes];
};
inline Vec zero() { return Vec{}; }
inline Vec load(const float* p) {
  Vec r;
  for (int i = 0; i < kLanes; ++i) r.v[i] = p[i];
  return r;
}
inline Vec loadToRegister(const float* p) { return load(p); }
inline void store(float* p, Vec a) {
  for (int i = 0; i < kLanes; ++i) p[i] = a.v[i];
}
inline Vec broadcast(float x) {
  Vec r;
  for (int i = 0; i < kLanes; ++i) r.v[i] = x;
  return r;
}
inline Vec broadcast(const float* p) { return broadcast(*p); }
inline Vec add(Vec a, Vec b) {
  for (int i = 0; i < kLanes; ++i) a.v[i] += b.v[i];
  return a;
}
inline Vec mul(Vec a, Vec b) {
  for (int i = 0; i < kLanes; ++i) a.v[i] *= b.v[i];
  return a;
}
inline Vec sub(Vec a, Vec b) {
  for (int i = 0; i < kLanes; ++i) a.v[i] -= b.v[i];
  return a;
}
inline Vec div(Vec a, Vec b) {
  for (int i = 0; i < kLanes; ++i) a.v[i] /= b.v[i];
  return a;
}
inline void streamStore(float* p, Vec a) { store(p, a); }
inline void streamFence() {}
inline Vec fmadd(Vec a, Vec b, Vec c) {
  for (int i = 0; i < kLanes; ++i) c.v[i] += a.v[i] * b.v[i];
  return c;
}
inline Vec loadBytes(const uint8_t* p) {
  Vec r;
  for (int i = 0; i < kLanes; ++i) r.v[i] = p[i];
  return r;
}
inline void storeBytes(uint8_t* p, Vec a) {
  constexpr float kRound = 8388608.0f;  // (v + 2^23) − 2^23 rounds v in [0, 2^23) to nearest, ties to even
  for (int i = 0; i < kLanes; ++i) p[i] = static_cast<uint8_t>(static_cast<int32_t>((a.v[i] + kRound) - kRound));
}
inline void storeDeinterleaved(const float* p, float* evens, float* odds) {
  for (int i = 0; i < kLanes; ++i) {
    evens[i] = p[2 * i];
    odds[i] = p[2 * i + 1];
  }
}
inline void addToEvens(float* p, Vec a) {
  for (int i = 0; i < kLanes; ++i) p[2 * i] += a.v[i];
}
inline Vec maxv(Vec a, Vec b) {
  for (int i = 0; i < kLanes; ++i) a.v[i] = a.v[i] > b.v[i] ? a.v[i] : b.v[i];  // b if a is NaN
  return a;
}
inline Vec minv(Vec a, Vec b) {
  for (int i = 0; i < kLanes; ++i) a.v[i] = a.v[i] < b.v[i] ? a.v[i] : b.v[i];
  return a;
}
inline Vec absv(Vec a) {
  for (int i = 0; i < kLanes; ++i) a.v[i] = a.v[i] < 0.0f ? -a.v[i] : a.v[i];
  return a;
}
inline Vec sqrtv(Vec a) {
  for (int i = 0; i < kLanes; ++i) a.v[i] = std::sqrt(a.v[i]);
  return a;
}
inline Vec maxPropagatingNaN(Vec a, Vec b) {
  for (int i = 0; i < kLanes; ++i) a.v[i] = (a.v[i] > b.v[i] || a.v[i] != a.v[i]) ? a.v[i] : b.v[i];
  return a;
}
inline Vec minPropagatingNaN(Vec a, Vec b) {
  for (int i = 0; i < kLanes; ++i) a.v[i] = (a.v[i] < b.v[i] || a.v[i] != a.v[i]) ? a.v[i] : b.v[i];
  return a;
}
inline bool anyEqual(Vec a, Vec b) {
  bool any = false;
  for (int i = 0; i < kLanes; ++i) any |= a.v[i] == b.v[i];
  return any;
}
inline bool anyNaN(Vec a) {
  bool any = false;
  for (int i = 0; i < kLanes; ++i) any |= a.v[i] != a.v[i];
  return any;
}
inline void sum4(Vec a, Vec b, Vec c, Vec d, float* out) {
  const Vec* vs[4] = {&a, &b, &c, &d};
  for (int k = 0; k < 4; ++k) {
    const float* x = vs[k]->v;
    out[k] = ((x[0] + x[1]) + (x[2] + x[3])) + ((x[4] + x[5]) + (x[6] + x[7]));
  }
}
#endif

// dst[i] += src[i] for i < count: whole vectors, then the tail (one masked vector with
// AVX-512, whose runs under 16 would otherwise all go element by element: LeNet's rows
// of 8), each element the same one addition whichever way.
inline void addInto(float* dst, const float* src, int64_t count) {
  int64_t i = 0;
  for (; i + kLanes <= count; i += kLanes) store(dst + i, add(load(dst + i), load(src + i)));
#if CONVCORE_HAVE_AVX512
  if (i < count) {
    const __mmask16 tail = static_cast<__mmask16>((1u << (count - i)) - 1);
    _mm512_mask_storeu_ps(dst + i, tail, _mm512_add_ps(_mm512_maskz_loadu_ps(tail, dst + i), _mm512_maskz_loadu_ps(tail, src + i)));
  }
#else
  for (; i < count; ++i) dst[i] += src[i];
#endif
}

// dst[2i] += src[i] for i < count (a stride-2 scatter's row): whole vectors short of the
// end (each reads 2 · kLanes floats), then the rest as one masked vector with AVX-512,
// where ResNet's 28-wide rows otherwise left 12 of every 28 to the scalar loop. The odd
// elements are never written; each even one gets the same one addition whichever way.
inline void addIntoEvens(float* dst, const float* src, int64_t count) {
  int64_t i = 0;
  for (; i + kLanes < count; i += kLanes) addToEvens(dst + 2 * i, load(src + i));
#if CONVCORE_HAVE_AVX512
  if (i < count) {
    const int64_t rest = count - i;  // 1 to 16: dst[2i .. 2i + 2·rest − 1) is read and written
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    const __m512 a = _mm512_maskz_loadu_ps(static_cast<__mmask16>((1u << rest) - 1), src + i);
    const __m512 z = _mm512_setzero_ps();
    const uint32_t evens = static_cast<uint32_t>(0x55555555ull & ((uint64_t(1) << (2 * rest)) - 1));
    const __mmask16 first = static_cast<__mmask16>(evens), second = static_cast<__mmask16>(evens >> 16);
    float* p = dst + 2 * i;
    _mm512_mask_storeu_ps(p, first, _mm512_add_ps(_mm512_maskz_loadu_ps(first, p), _mm512_permutex2var_ps(a, lo, z)));
    if (second != 0)
      _mm512_mask_storeu_ps(p + 16, second,
                            _mm512_add_ps(_mm512_maskz_loadu_ps(second, p + 16), _mm512_permutex2var_ps(a, hi, z)));
  }
#else
  for (; i < count; ++i) dst[2 * i] += src[i];
#endif
}

// dst[i] = src[i] + bias for i < count; streaming stores when `stream` (large outputs).
inline void storeRow(float* dst, const float* src, int64_t count, float bias, bool stream) {
  int64_t i = 0;
  const Vec b = broadcast(bias);
  if (stream) {
    for (; i < count && (reinterpret_cast<uintptr_t>(dst + i) & (kVectorBytes - 1)) != 0; ++i) dst[i] = src[i] + bias;
    for (; i + kLanes <= count; i += kLanes) streamStore(dst + i, add(load(src + i), b));
  } else {
    for (; i + kLanes <= count; i += kLanes) store(dst + i, add(load(src + i), b));
  }
  for (; i < count; ++i) dst[i] = src[i] + bias;
}

// dst[j] = lanes from + j of a, for j < count (from + count ≤ kLanes): the part of a
// vector that belongs somewhere else than its first lane's place. One lane shift and a
// masked store with AVX-512; through a line on the stack otherwise.
inline void storeLanes(float* dst, Vec a, int64_t from, int64_t count) {
#if CONVCORE_HAVE_AVX512
  const __m512i lanes = _mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                         _mm512_set1_epi32(static_cast<int>(from)));
  _mm512_mask_storeu_ps(dst, static_cast<__mmask16>((1u << count) - 1), _mm512_permutexvar_ps(lanes, a.v));
#else
  float line[kLanes];
  store(line, a);
  for (int64_t j = 0; j < count; ++j) dst[j] = line[from + j];
#endif
}

// dst row i (dstStride apart) = column i of the 8 × 8 block at src (rows srcStride
// apart), for the rows i whose bit is set in `keep`: with 256-bit shuffles in the AVX2
// and AVX-512 builds (three rounds, 24 of them), 4 × 4 transposes of NEON registers in
// the NEON build, element by element otherwise.
inline void transpose8x8(const float* src, int64_t srcStride, float* dst, int64_t dstStride, unsigned keep) {
#if CONVCORE_HAVE_AVX512 || CONVCORE_HAVE_AVX2
  __m256 r[8], t[8], u[8];
  for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * srcStride);
  for (int i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);      // a0 b0 a1 b1 | a4 b4 a5 b5
    t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);  // a2 b2 a3 b3 | a6 b6 a7 b7
  }
  for (int i = 0; i < 8; i += 4) {
    u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));      // a0 b0 c0 d0 | a4 ..
    u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));  // a1 .. | a5 ..
    u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
    u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int i = 0; i < 4; ++i) {
    if (keep & (1u << i)) _mm256_storeu_ps(dst + i * dstStride, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
    if (keep & (1u << (i + 4))) _mm256_storeu_ps(dst + (i + 4) * dstStride, _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
  }
#elif CONVCORE_HAVE_NEON
  // Four 4 × 4 quadrants, each transposed with two rounds of trn1/trn2.
  for (int qi = 0; qi < 2; ++qi) {      // quadrant row of src: dst's column half
    for (int qj = 0; qj < 2; ++qj) {    // quadrant column of src: dst's row half
      const float* s = src + qi * 4 * srcStride + qj * 4;
      const float32x4_t r0 = vld1q_f32(s), r1 = vld1q_f32(s + srcStride);
      const float32x4_t r2 = vld1q_f32(s + 2 * srcStride), r3 = vld1q_f32(s + 3 * srcStride);
      const float32x4_t t0 = vtrn1q_f32(r0, r1), t1 = vtrn2q_f32(r0, r1), t2 = vtrn1q_f32(r2, r3), t3 = vtrn2q_f32(r2, r3);
      const float64x2_t d0 = vreinterpretq_f64_f32(t0), d1 = vreinterpretq_f64_f32(t1);
      const float64x2_t d2 = vreinterpretq_f64_f32(t2), d3 = vreinterpretq_f64_f32(t3);
      const float32x4_t c[4] = {
          vreinterpretq_f32_f64(vtrn1q_f64(d0, d2)), vreinterpretq_f32_f64(vtrn1q_f64(d1, d3)),
          vreinterpretq_f32_f64(vtrn2q_f64(d0, d2)), vreinterpretq_f32_f64(vtrn2q_f64(d1, d3))};
      for (int k = 0; k < 4; ++k) {
        const int row = qj * 4 + k;
        if (keep & (1u << row)) vst1q_f32(dst + row * dstStride + qi * 4, c[k]);
      }
    }
  }
#else
  for (int i = 0; i < 8; ++i)
    if (keep & (1u << i))
      for (int j = 0; j < 8; ++j) dst[i * dstStride + j] = src[j * srcStride + i];
#endif
}

}  // namespace CONVCORE_ISA_NAMESPACE
}  // namespace convcore
