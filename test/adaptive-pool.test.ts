// Adaptive pooling (issue 17): PyTorch's numbers where the windows overlap unevenly (the
// TypeScript path), the native pooling path where they divide evenly against the window
// definition, finite differences, global pooling, the layers, bad sizes refused.
import { describe, expect, it } from 'vitest';
import { AdaptiveAvgPool2d, AdaptiveMaxPool2d, ArgumentTypeError, Tensor, adaptiveAvgPool2d, adaptiveMaxPool2d } from '../lib/index';
import { checkGradients, expectClose, randomTensor, withBackend } from './helpers';

// PyTorch 1.13: x = sin(0..69) as (1, 2, 5, 7), output (3, 4), loss Σ y·linspace(−1, 1).
const TORCH = {
  avg: [0.621954, 0.458224, -0.609199, -0.338686, 0.685841, -0.166912, -0.435385, 0.444225, 0.108769, -0.636059, 0.145322, 0.811982,
    -0.792064, -0.21702, 0.646924, -0.014548, -0.508302, 0.388565, 0.229538, -0.651421, 0.250499, 0.631013, -0.402365, -0.679503],
  avgGrad: [-0.25, -0.402174, -0.152174, -0.289855, -0.137681, -0.322464, -0.184783, -0.358696, -0.573672, -0.214976, -0.405797,
    -0.190821, -0.440821, -0.25, -0.108696, -0.171498, -0.062802, -0.115942, -0.05314, -0.118357, -0.065217, -0.184783, -0.283816,
    -0.099034, -0.173913, -0.074879, -0.150966, -0.076087, -0.076087, -0.112319, -0.036232, -0.057971, -0.021739, -0.032609, -0.01087,
    0.01087, 0.032609, 0.021739, 0.057971, 0.036232, 0.112319, 0.076087, 0.076087, 0.150966, 0.074879, 0.173913, 0.099034, 0.283816,
    0.184783, 0.065217, 0.118357, 0.05314, 0.115942, 0.062802, 0.171498, 0.108696, 0.25, 0.440821, 0.190821, 0.405797, 0.214976,
    0.573672, 0.358696, 0.184783, 0.322464, 0.137681, 0.289855, 0.152174, 0.402174, 0.25],
  max: [0.989358, 0.989358, 0.14112, 0.420167, 0.990607, 0.989358, 0.762558, 0.956376, 0.836656, -0.008851, 0.999912, 0.999912,
    -0.428183, 0.850904, 0.963795, 0.745113, 0.436165, 0.992873, 0.986628, 0.123573, 0.920026, 0.992873, 0.636738, -0.114785],
};

const sines = () => new Tensor(Float32Array.from({ length: 70 }, (_, i) => Math.sin(i)), [1, 2, 5, 7], { requiresGrad: true });
const ramp = (n: number, shape: number[]) => new Tensor(Float32Array.from({ length: n }, (_, i) => -1 + (2 * i) / (n - 1)), shape);

describe('adaptive pooling', () => {
  it("matches PyTorch's adaptive_avg_pool2d and adaptive_max_pool2d on uneven windows", () => {
    const x = sines();
    const avg = adaptiveAvgPool2d(x, [3, 4]);
    expect(avg.shape).toEqual([1, 2, 3, 4]);
    expectClose(avg.data, Float32Array.from(TORCH.avg), { atol: 2e-6, what: 'avg' });
    avg.mul(ramp(24, [1, 2, 3, 4])).sum().backward();
    expectClose(x.grad!.data, Float32Array.from(TORCH.avgGrad), { atol: 2e-6, what: 'avg gradient' });
    const max = adaptiveMaxPool2d(sines(), [3, 4]);
    expectClose(max.data, Float32Array.from(TORCH.max), { atol: 2e-6, what: 'max' });
  });

  it('even windows (the native pooling path) equal the window definition, on both backends', () => {
    const x = randomTensor([2, 3, 8, 6], 1);
    for (const kind of ['native', 'reference'] as const) {
      withBackend(kind, () => {
        const avg = adaptiveAvgPool2d(x, [4, 3]), max = adaptiveMaxPool2d(x, [2, 3]);
        const cell = (plane: number, rows: number[], cols: number[]) => rows.flatMap((h) => cols.map((w) => x.data[(plane * 8 + h) * 6 + w]));
        for (let plane = 0; plane < 6; plane++) {
          for (let i = 0; i < 4; i++) for (let j = 0; j < 3; j++) {
            const v = cell(plane, [2 * i, 2 * i + 1], [2 * j, 2 * j + 1]);
            expect(avg.data[(plane * 4 + i) * 3 + j]).toBeCloseTo(v.reduce((a, b) => a + b) / 4, 6);
          }
          for (let i = 0; i < 2; i++) for (let j = 0; j < 3; j++) {
            expect(max.data[(plane * 2 + i) * 3 + j]).toBe(Math.max(...cell(plane, [4 * i, 4 * i + 1, 4 * i + 2, 4 * i + 3], [2 * j, 2 * j + 1])));
          }
        }
      });
    }
  });

  it('global average pooling is the mean over H and W; gradients by finite differences', () => {
    const x = randomTensor([2, 3, 5, 4], 2);
    expectClose(adaptiveAvgPool2d(x, 1).data, x.mean([2, 3]).data, { atol: 1e-6 });
    checkGradients((t) => adaptiveAvgPool2d(t, [2, 3]), [randomTensor([2, 2, 5, 7], 3)], 4, 1e-2, 1e-2);
    checkGradients((t) => adaptiveMaxPool2d(t, [3, 2]), [randomTensor([1, 2, 7, 5], 5)], 6, 1e-3, 1e-2);
    expect(adaptiveAvgPool2d(x, [null, 2]).shape).toEqual([2, 3, 5, 2]);
  });

  it('layers, and bad sizes refused by name', () => {
    expect(new AdaptiveAvgPool2d([2, 2]).forward(randomTensor([3, 5, 5], 7)).shape).toEqual([3, 2, 2]);
    expect(new AdaptiveMaxPool2d(1).forward(randomTensor([1, 3, 5, 5], 8)).shape).toEqual([1, 3, 1, 1]);
    expect(() => new AdaptiveAvgPool2d(0)).toThrow(ArgumentTypeError);
    expect(() => adaptiveAvgPool2d(randomTensor([4, 4], 9), 2)).toThrow(/4-D \(N, C, H, W\) or 3-D/);
  });
});
