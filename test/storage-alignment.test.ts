// Storage the library makes starts on a 64-byte boundary where it is over 1 KiB (lib/alloc.ts):
// the vector loads of the kernels then never straddle two cache lines. Only the addon
// knows an address: alignmentShift(buffer) is how far past the buffer's start the first
// boundary lies, so a view starts on one exactly when its byteOffset is that shift.
import { describe, expect, it } from 'vitest';
import { nativeAddon } from '../lib/binding';
import { Tensor, conv2d, relu } from '../lib/index';

const onBoundary = (a: Float32Array) => a.byteOffset === nativeAddon().alignmentShift(a.buffer as ArrayBuffer);

describe('storage alignment', () => {
  // Sizes around the 1 KiB line (256 floats), odd ones and a large one.
  const sizes = [257, 1000, 4099, 1 << 20];

  it.each(sizes)('Tensor.zeros, ones, full, rand, randn and fromArray of %i floats start on a 64-byte boundary', (n) => {
    const made = [
      Tensor.zeros([n]), Tensor.ones([n]), Tensor.full([n], 2.5), Tensor.rand([n], { seed: 1 }), Tensor.randn([n], { seed: 2 }),
      Tensor.fromArray(Array.from({ length: n }, (_, i) => i)),
    ];
    for (const t of made) {
      expect(onBoundary(t.data)).toBe(true);
      expect(t.data.length).toBe(n);
      expect(t.data.buffer.byteLength - t.data.byteOffset).toBeGreaterThanOrEqual(n * 4); // its own buffer holds it
    }
    // Zeroed and filled as asked.
    expect(made[0].data.every((v) => v === 0)).toBe(true);
    expect(made[2].data.every((v) => v === 2.5)).toBe(true);
    expect(Array.from(made[5].data.subarray(0, 3))).toEqual([0, 1, 2]);
  });

  it('op results and gradients start on one too', () => {
    const x = Tensor.randn([2, 3, 17, 19], { seed: 3, requiresGrad: true });
    const w = Tensor.randn([5, 3, 3, 3], { seed: 4 });
    const y = relu(conv2d(x, w, null, { padding: 1 }));
    const s = y.add(x.sum()).mul(2);
    s.sum().backward();
    for (const a of [y.data, s.data, x.grad!.data]) expect(onBoundary(a)).toBe(true);
  });

  it('a Float32Array of the caller is used where it lies, not copied', () => {
    const buffer = new ArrayBuffer(4 * 300 + 4);
    const mine = new Float32Array(buffer, 4, 300);
    const t = new Tensor(mine, [300]);
    expect(t.data).toBe(mine);
  });
});
