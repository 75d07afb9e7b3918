/**
 * The image kernels (native/kernels/image.cc, loops/filter8.h) against their pure-TS
 * references (lib/reference/image.ts), through the backend as the image code calls them:
 * odd sizes, every channel count, borders in every mode, the mapping's options.
 */
import { describe, expect, test } from 'vitest';
import { backend } from '../lib/backend';
import { type BorderMode, borderMap } from '../lib/border-map';
import { elementColumnMap } from '../lib/image/filter-engine';
import { Random } from '../lib/random';
import { withBackend } from './helpers';

const random = new Random(20261205);
const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(random.uniform() * 256));
const floats = (n: number, scale = 1) => Float32Array.from({ length: n }, () => (random.uniform() * 2 - 1) * scale);
const both = <T>(run: () => T): [T, T] => [withBackend('native', run), withBackend('reference', run)];
const MODES: BorderMode[] = ['zeros', 'reflect', 'replicate', 'circular'];

describe('image kernels: native = reference', () => {
  test.each([[1, 1], [37, 2], [101, 3], [64, 4]])('pixels (%i) ↔ planes, %i channels, alpha apart', (pixels, channels) => {
    const colour = channels >= 3 ? 3 : 1;
    const alphaChannel = channels === colour + 1 ? colour : -1;
    const src = bytes(pixels * channels);
    const [native, reference] = both(() => {
      const planes = new Float32Array(pixels * colour), alpha = alphaChannel >= 0 ? new Uint8Array(pixels) : null;
      backend().planesFromPixels({ pixels, channels, colour, alphaChannel }, src, planes, alpha);
      return { planes, alpha };
    });
    expect(native).toEqual(reference);
    // Planar: pixel 0's channel k at k · pixels.
    expect(Array.from({ length: colour }, (_, k) => native.planes[k * pixels])).toEqual(Array.from(src.subarray(0, colour)));
    for (const abs of [false, true]) {
      for (const round of [false, true]) {
        const planes = floats(pixels * colour, 300);
        const [a, b] = both(() => {
          const out = new Uint8Array(pixels * channels);
          backend().pixelsFromPlanes({ pixels, colour, abs, offset: 127.5, round }, planes, native.alpha, out);
          return out;
        });
        expect(a, `abs ${abs}, round ${round}`).toEqual(b);
      }
    }
  });

  test.each(MODES)('the fused 8-bit filter, %s border: odd sizes, 1-4 channels, kernels up to 7 × 7', (mode) => {
    for (const [H, W, C, kh, kw] of [[1, 1, 1, 1, 1], [7, 13, 3, 3, 3], [19, 31, 1, 5, 5], [11, 29, 4, 7, 7], [9, 40, 2, 3, 5], [5, 50, 3, 1, 7]]) {
      // Small integer weights: every sum is exact in float32, so no rounding tie can differ.
      const weights = Float32Array.from({ length: kh * kw }, () => Math.floor(random.uniform() * 7) - 3);
      const padTop = (kh - 1) >> 1, padLeftPixels = (kw - 1) >> 1;
      const rowMap = borderMap(H, padTop, kh - 1 - padTop, mode), colMap = elementColumnMap(W, C, kw, padLeftPixels, mode);
      const src = bytes(H * W * C);
      for (const abs of [false, true]) {
        const [a, b] = both(() => {
          const dst = new Uint8Array(H * W * C);
          backend().filter8({ height: H, rowElements: W * C, channels: C, kernelHeight: kh, kernelWidth: kw, padTop, padLeftPixels, abs, offset: 128 },
            weights, rowMap, colMap, src, dst);
          return dst;
        });
        expect(a, `${H}×${W}×${C}, ${kh}×${kw}, abs ${abs}`).toEqual(b);
      }
    }
  });

  test.each(MODES)('the float filters\' border pass, %s', (mode) => {
    for (const [planes, H, W, kh, kw] of [[1, 5, 9, 3, 3], [2, 13, 7, 5, 3], [3, 1, 17, 1, 7], [1, 8, 8, 7, 7]]) {
      const weight = floats(planes * kh * kw), input = floats(planes * H * W);
      const padTop = (kh - 1) >> 1, padLeft = (kw - 1) >> 1;
      const rows = borderMap(H, padTop, kh - 1 - padTop, mode), cols = borderMap(W, padLeft, kw - 1 - padLeft, mode);
      const start = floats(planes * H * W);
      const [a, b] = both(() => {
        const out = start.slice();
        backend().filterBorder({ planes, height: H, width: W, kernelHeight: kh, kernelWidth: kw, padTop, padLeft }, weight, rows, cols, input, out);
        return out;
      });
      a.forEach((v, i) => expect(v, `${planes}×${H}×${W}, ${kh}×${kw}, element ${i}`).toBeCloseTo(b[i], 4));
      // Only the border is written: an interior element keeps what was there.
      if (H > kh && W > kw) expect(a[padTop * W + padLeft]).toBe(start[padTop * W + padLeft]);
    }
  });

  test('the alpha channel restored and the gradient magnitude', () => {
    for (const [pixels, channels] of [[1, 2], [33, 4], [100, 2]]) {
      const src = bytes(pixels * channels), start = bytes(pixels * channels);
      const [a, b] = both(() => {
        const dst = start.slice();
        backend().restoreAlpha({ pixels, channels }, src, dst);
        return dst;
      });
      expect(a).toEqual(b);
      expect(a[channels - 1]).toBe(src[channels - 1]);
      expect(a[0]).toBe(start[0]);
    }
    const gx = floats(1001, 10), gy = floats(1001, 10);
    const [m, r] = both(() => {
      const out = new Float32Array(1001);
      backend().magnitude(gx, gy, out);
      return out;
    });
    m.forEach((v, i) => expect(v).toBeCloseTo(r[i], 5));
    expect(m[0]).toBeCloseTo(Math.hypot(gx[0], gy[0]), 5);
  });
});
