/**
 * Where each coordinate of a padded axis reads from: the one map behind the convolutions'
 * padding modes (functional/pad.ts) and the image filters' borders (image/filter-engine.ts).
 */

/** How an axis continues past its ends (PyTorch's padding modes). */
export type BorderMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

/**
 * For each of the size + before + after padded coordinates, its source in [0, size) or
 * −1 (zeros). reflect is PyTorch's 'reflect' (OpenCV's BORDER_REFLECT_101), folded again
 * as often as needed, so any kernel fits any image (a convolution's own padding is
 * checked to be smaller than the axis first, as PyTorch requires).
 */
export function borderMap(size: number, before: number, after: number, mode: BorderMode): Int32Array {
  const map = new Int32Array(size + before + after);
  for (let i = 0; i < map.length; i++) {
    let j = i - before;
    if (j >= 0 && j < size) map[i] = j;
    else if (mode === 'zeros') map[i] = -1;
    else if (mode === 'replicate') map[i] = j < 0 ? 0 : size - 1;
    else if (mode === 'circular') map[i] = ((j % size) + size) % size;
    else if (size === 1) map[i] = 0;
    else {
      const period = 2 * (size - 1);
      j = ((j % period) + period) % period;
      map[i] = j < size ? j : period - j;
    }
  }
  return map;
}
