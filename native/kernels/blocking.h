// Cache blocking for the implicit-GEMM engine (Zen 3 / Haswell-class cores: 32 KiB L1d,
// 512 KiB L2 per core). All block sizes live here.
#pragma once

#include <cstdint>

namespace convcore {

// The GEMM micro-kernel's register tile (kTileRows × kTileCols) is the vector's: simd.h.

// Reduction block: a 6 × 256 weight panel (6 KiB) and a 256 × 16 strip of input rows
// (16 KiB) stay in L1 while one tile is computed.
constexpr int64_t kBlockK = 256;

// Pixels per block: with up to kBlockK input rows of them, the block's input (~208 KiB
// at most) and its accumulators stay in L2. A multiple of every ISA's kTileCols (16, 32).
constexpr int64_t kBlockPixels = 320;

// The forward's blocks (gemm.h's forwardBlocks) take about this many pixels, the image
// split evenly: each block gathers its input rows plus the kernel's reach below them,
// and with 320-pixel blocks that overlap was a large share (VGG's first layer: 2 extra
// rows on every one), 3–6% of the time of ResNet's 3×3 layers and of VGG's first. Only
// a reduction block's share of a block's input (its taps' channels) needs to stay in
// L2 at a time.
constexpr int64_t kForwardBlockPixels = 1200;

// The forward's blocks where the images' grids are stacked (the kernel reaches no rows
// below: gemm.h's stackedForwardBlocks), their count a multiple of the threads': a block
// gathers no rows twice, and smaller blocks even out the threads' shares (res1x1 at 2
// threads: 1.36 -> 1.28 ms with 14 blocks of 112 pixels rather than 8 of about 200;
// the same at 1 thread).
constexpr int64_t kStackedBlockPixels = 112;

// Backward-weight reduces over longer pixel runs (fewer horizontal sums per tile):
// 4 gradient rows (12 KiB) stay in L1, the block's input rows stream from L2.
constexpr int64_t kWeightGradPixels = 768;
// The input of a block of channels (all their taps) that stays in L2 while every
// gradient row of a backward-weight unit passes over it.
constexpr int64_t kWeightGradInputBytes = 192 << 10;
// The backward-weight tile (output channels × taps) is the vector's: simd.h.

// Backward-data computes the column gradient in row blocks of this many taps
// (a multiple of kTileRows) before scattering it into gradInput.
constexpr int64_t kBlockTaps = 96;

}  // namespace convcore
