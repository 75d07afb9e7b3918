// models.unet (issue 17): the output keeps the input's size, parameters and buffers are
// named by their place (down.0.conv1.weight, up.1.weight, …), gradients reach every
// parameter, and it learns a toy segmentation (bright squares on noise) to high pixel
// accuracy; bad input sizes are refused by name.
import { describe, expect, it } from 'vitest';
import { Adam, ShapeError, Tensor, crossEntropy, manualSeed, models, noGrad, permute } from '../lib/index';
import { Random } from '../lib/random';

/** N images (N, 1, S, S) of noise with a bright square each, and the square's mask as labels. */
function squares(n: number, size: number, seed: number): { images: Tensor; labels: Int32Array } {
  const random = new Random(seed);
  const images = new Float32Array(n * size * size), labels = new Int32Array(n * size * size);
  for (let i = 0; i < n; i++) {
    const side = 4 + Math.floor(random.uniform() * 5);
    const top = Math.floor(random.uniform() * (size - side)), left = Math.floor(random.uniform() * (size - side));
    for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
      const inside = y >= top && y < top + side && x >= left && x < left + side;
      const k = (i * size + y) * size + x;
      images[k] = (inside ? 1 : 0) + 0.3 * (random.uniform() - 0.5);
      labels[k] = inside ? 1 : 0;
    }
  }
  return { images: new Tensor(images, [n, 1, size, size]), labels };
}

/** Per-pixel logits (N, 2, H, W) as rows (N·H·W, 2) in the labels' order. */
const pixelRows = (logits: Tensor) => permute(logits, [0, 2, 3, 1]).reshape([-1, 2]);

describe('models.unet', () => {
  it('keeps the input size and names its parameters by their place', () => {
    const net = models.unet({ inChannels: 3, outChannels: 4, baseChannels: 8, depth: 2 });
    const y = net.forward(Tensor.randn([2, 3, 12, 8], { seed: 1 }));
    expect(y.shape).toEqual([2, 4, 12, 8]);
    const names = Object.keys(net.stateDict());
    for (const name of ['down.0.conv1.weight', 'down.1.bn2.running_var', 'bottleneck.conv1.weight', 'up.0.weight', 'up.1.bias',
      'decode.1.conv2.weight', 'head.weight']) expect(names).toContain(name);
    y.sum().backward();
    expect(net.parameters().every((p) => p.grad !== null)).toBe(true);
    expect(() => net.forward(Tensor.zeros([1, 3, 10, 8]))).toThrow(ShapeError);
  });

  it('learns to segment bright squares', () => {
    manualSeed(3);
    const net = models.unet({ baseChannels: 8, depth: 2 });
    const { images, labels } = squares(8, 16, 4);
    const opt = new Adam(net.parameters(), { lr: 1e-2 });
    let first = 0, last = 0;
    for (let step = 0; step < 30; step++) {
      opt.zeroGrad();
      const loss = crossEntropy(pixelRows(net.forward(images)), labels);
      loss.backward();
      opt.step();
      if (step === 0) first = loss.item();
      last = loss.item();
    }
    expect(last).toBeLessThan(0.3 * first);
    net.eval();
    const test = squares(4, 16, 5);
    const rows = noGrad(() => pixelRows(net.forward(test.images)));
    let correct = 0;
    for (let i = 0; i < test.labels.length; i++) if ((rows.data[2 * i + 1] > rows.data[2 * i] ? 1 : 0) === test.labels[i]) correct++;
    expect(correct / test.labels.length).toBeGreaterThan(0.95);
  });
});
