// Register tiles and cache blocks of every ISA build, in one place. Included after
// simd.h, inside the ISA namespace of the including file (engine_impl.h).
//
// The caches assumed: 32–48 KiB L1d and 512 KiB–1 MiB L2 per core (Zen 3 to Zen 5,
// Haswell to Sapphire Rapids). The blocks are sized so that the working sets below fit
// the smallest of these; bench/results/isa-paths-*.md say which build wins per path.
#pragma once

#include <cstdint>

namespace convcore {
namespace CONVCORE_ISA_NAMESPACE {

struct Tiling {
  // The GEMM micro-kernel (micro/f32_gemm_tile.h): gemmRows output channels × two vectors
  // of pixels, one accumulator each, plus two input vectors and a broadcast weight.
  int64_t gemmRows;
  // The backward-weight dot tile (micro/f32_dot_tile.h): output channels × taps, one
  // accumulator each, plus dotCols input vectors and a gradient vector.
  int64_t dotRows, dotCols;
  // Reduction block: a gemmRows × blockK weight panel and a blockK × (two vectors) strip
  // of input rows stay in L1 while one tile is computed.
  int64_t blockK;
  // Pixels per block of backward-data and of the unstacked 1×1 forward: with up to blockK
  // input rows of them, the block's input and its accumulators stay in L2. A multiple
  // of the tile's pixels.
  int64_t blockPixels;
  // The forward's blocks where the kernel reaches rows below: each gathers its input
  // rows plus that reach, so larger blocks gather less; only a reduction block's share
  // of the block's input needs to stay in L2 at a time.
  int64_t forwardBlockPixels;
  // The forward's blocks where the images' grids are stacked (nothing reached below):
  // small, so that the threads' shares come out even.
  int64_t stackedBlockPixels;
  // Backward-weight reduces over runs this long (fewer horizontal sums per tile): its
  // gradient rows stay in L1 while the block's input rows stream from L2.
  int64_t weightGradPixels;
  // The input of a block of channels (all their taps) that stays in L2 while every
  // gradient row of a backward-weight unit passes over it.
  int64_t weightGradInputBytes;
  // Backward-data computes the column gradient in row blocks of this many taps (a
  // multiple of gemmRows) before scattering it into gradInput.
  int64_t blockTaps;
};

// 32 registers: 8 rows (16 accumulators) waste no panel rows on the power-of-two channel
// counts of most CNNs; 6 × 4 dot tiles (24 accumulators). Reduction blocks up to 640
// taps: a 16-FMA step reads 128 bytes of input, which L2 keeps up with, so ResNet's
// 576-tap 3×3 runs as one block, its tiles finished in registers instead of partial
// sums through a buffer (2-3% faster on Zen 4; AVX2's 6 × 16 tile 7-12% slower so).
constexpr Tiling kAvx512Tiling = {8, 6, 4, 640, 320, 1200, 112, 768, 192 << 10, 96};
// 16 registers: 6 rows (12 accumulators); 4 × 3 dot tiles.
constexpr Tiling kAvx2Tiling = {6, 4, 3, 256, 320, 1200, 112, 768, 192 << 10, 96};
// NEON: 32 registers of 4 floats, two per vector. A 6-row GEMM tile needs 24 accumulator
// registers, 4 for the pixels and 6 for the weights (GCC multiplies by lane from scalar
// registers): 34, and GCC 12 spills 3 accumulators to the stack every step; 4 rows
// (16 + 4 + 4) run 16 FMLA and 8 loads a step from registers. Likewise 4 × 3 dot tiles
// (24 accumulators) spill and 3 × 3 (18, + 6 + 2) do not. (Read from the disassembly:
// no arm64 machine measures here.)
constexpr Tiling kNeonTiling = {4, 3, 3, 256, 320, 1200, 112, 768, 192 << 10, 96};
// The generic build's vector is 8 floats in plain arrays (SSE or NEON registers): AVX2's shapes.
constexpr Tiling kTiling = CONVCORE_HAVE_AVX512 ? kAvx512Tiling : CONVCORE_HAVE_NEON ? kNeonTiling : kAvx2Tiling;

constexpr int64_t kTileRows = kTiling.gemmRows;
constexpr int64_t kTileCols = 2 * kLanes;
constexpr int64_t kDotRows = kTiling.dotRows;
constexpr int64_t kDotCols = kTiling.dotCols;
constexpr int64_t kBlockK = kTiling.blockK;
constexpr int64_t kBlockPixels = kTiling.blockPixels;
constexpr int64_t kForwardBlockPixels = kTiling.forwardBlockPixels;
constexpr int64_t kStackedBlockPixels = kTiling.stackedBlockPixels;
constexpr int64_t kWeightGradPixels = kTiling.weightGradPixels;
constexpr int64_t kWeightGradInputBytes = kTiling.weightGradInputBytes;
constexpr int64_t kBlockTaps = kTiling.blockTaps;

static_assert(kTileRows <= 8, "the GEMM tile names 8 rows of accumulators at most");
static_assert(kTileRows % 2 == 0, "partial panels take tiles of 2, 4, 6 or 8 rows");
static_assert(kBlockPixels % kTileCols == 0, "a block is whole tiles");
static_assert(kBlockTaps % kTileRows == 0, "a tap block is whole panels");

}  // namespace CONVCORE_ISA_NAMESPACE
}  // namespace convcore
