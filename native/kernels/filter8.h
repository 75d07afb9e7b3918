// A single filter straight from 8-bit interleaved pixels to 8-bit pixels, in one pass:
// the image pipeline's fast path for one kernel (no float image in between). The
// kernel's taps are `channels` elements apart along a row (each channel filtered alone);
// the output keeps the input's size ('same'); pixels whose window leaves the image read
// through the border maps; values are mapped (|v| and an offset), clamped to [0, 255]
// and rounded to nearest, ties to even.
#pragma once

#include <cstdint>

namespace convcore {

struct Filter8Params {
  int64_t height;
  int64_t rowElements;  // width · channels
  int64_t channels;
  int64_t kernelHeight, kernelWidth;
  int64_t padTop;          // rows above the first output row's window
  int64_t padLeftPixels;   // pixels left of the first output's window
  bool absolute;
  float offset;
};

// nullptr when consistent, else a message naming the first bad field.
const char* checkFilter8Params(const Filter8Params& p);

}  // namespace convcore
