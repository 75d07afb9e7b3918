/**
 * Training beyond the convolution: layers and Sequential, optimisers and schedules
 * against PyTorch's formulas, the DataLoader, safetensors checkpoints, an end-to-end
 * gradient check through a small LeNet, exact resumption, and MNIST learning.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  Adam, AdamW, AvgPool2d, Conv2D, CosineAnnealingLR, DataLoader, Dropout, Flatten, Linear, MaxPool2d, ReLU, SGD,
  Sequential, ShapeError, Sigmoid, StepLR, Tanh, Tensor, crossEntropy, loadMnist, loadSafetensors, manualSeed,
  parseSafetensors, saveSafetensors, serializeSafetensors,
} from '../lib/index';
import { gradientPoolStats } from '../lib/alloc';
import { checkGradients, randomTensor } from './helpers';

function smallNet() {
  return new Sequential(
    new Conv2D(1, 3, 3, { padding: 1 }), new Tanh(), new MaxPool2d(2),
    new Conv2D(3, 4, 3), new Sigmoid(), new AvgPool2d(2),
    new Flatten(), new Linear(4, 5), new ReLU(), new Linear(5, 3),
  );
}

describe('layers', () => {
  test("Sequential names parameters as PyTorch does and prints a summary with counts", () => {
    manualSeed(0);
    const net = smallNet();
    expect(net.namedParameters().map(([n, p]) => `${n} ${p.shape.join('x')}`)).toEqual([
      '0.weight 3x1x3x3', '0.bias 3', '3.weight 4x3x3x3', '3.bias 4', '7.weight 5x4', '7.bias 5', '9.weight 3x5', '9.bias 3',
    ]);
    expect(net.parameterCount()).toBe(30 + 112 + 25 + 18);
    const text = net.toString();
    expect(text).toContain('(7): Linear(inFeatures=4, outFeatures=5, bias=true)  # 25 parameters');
    expect(text).toContain('(2): MaxPool2d(kernelSize=2)');
    expect(text.split('\n').at(-1)).toBe(')  # 185 parameters in total');
    expect(net.forward(randomTensor([2, 1, 10, 10], 1)).shape).toEqual([2, 3]);
  });

  test("Linear's default initialisation is U(-1/√in, 1/√in)", () => {
    manualSeed(3);
    const layer = new Linear(50, 40);
    const bound = 1 / Math.sqrt(50);
    const values = [...layer.weight.data, ...layer.bias!.data];
    expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...values) - Math.min(...values)).toBeGreaterThan(1.9 * bound);
    expect(new Linear(3, 2, { bias: false }).parameters()).toHaveLength(1);
    expect(() => new Linear(0, 2)).toThrow('Linear: expected inFeatures to be a positive integer, but got 0');
  });

  test('the gradient of a whole network (conv, pools, activations, linear, crossEntropy) matches finite differences', () => {
    manualSeed(5);
    const net = smallNet();
    const x = randomTensor([2, 1, 10, 10], 7);
    // The parameters are the inputs: perturbing their data perturbs the network.
    checkGradients(() => crossEntropy(net.forward(x), [2, 0], { reduction: 'none' }), net.parameters(), 9, 1e-3, 3e-2);
  });

  test('train() and eval() switch Dropout on and off through Sequential', () => {
    const net = new Sequential(new Dropout(0.5, { seed: 1 }));
    const x = Tensor.ones([1000]);
    expect(net.forward(x).data.filter((v) => v === 0).length).toBeGreaterThan(400);
    expect(net.eval().training).toBe(false);
    expect(net[0].training).toBe(false);
    expect(net.forward(x)).toBe(x);
    expect(net.train().forward(x).data.some((v) => v === 0)).toBe(true);
    const a = new Dropout(0.3, { seed: 9 }).forward(x).data, b = new Dropout(0.3, { seed: 9 }).forward(x).data;
    expect(a).toEqual(b);
  });

  test('Flatten keeps the batch and merges the rest', () => {
    expect(new Flatten().forward(randomTensor([2, 3, 4, 5], 1)).shape).toEqual([2, 60]);
    expect(new Flatten(0, 1).forward(randomTensor([2, 3, 4], 1)).shape).toEqual([6, 4]);
  });
});

describe('optimisers follow PyTorch', () => {
  const withGrad = (values: number[], grad: number[]) => {
    const p = new Tensor(values, undefined, { requiresGrad: true });
    p.grad = new Tensor(grad);
    return p;
  };

  test('Adam: the first step moves each weight by lr·g/(|g| + eps)', () => {
    const p = withGrad([1, -2, 3], [0.5, -4, 1e-3]);
    new Adam([p], { lr: 0.1 }).step();
    const expected = [1 - 0.1 * 0.5 / (0.5 + 1e-8), -2 + 0.1 * 4 / (4 + 1e-8), 3 - 0.1 * 1e-3 / (1e-3 + 1e-8)];
    p.data.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 5));
  });

  test('Adam: two steps against the formula; weight decay adds to the gradient', () => {
    const p = withGrad([1], [0.2]);
    const adam = new Adam([p], { lr: 0.01, betas: [0.8, 0.9], weightDecay: 0.1 });
    adam.step();
    p.grad = new Tensor([-0.1]);
    adam.step();
    // By hand: g1 = 0.2 + 0.1·1, then g2 = −0.1 + 0.1·w1.
    let w = 1, m = 0, v = 0;
    for (const [t, g0] of [[1, 0.2], [2, -0.1]] as const) {
      const g = g0 + 0.1 * w;
      m = 0.8 * m + 0.2 * g;
      v = 0.9 * v + 0.1 * g * g;
      w -= (0.01 / (1 - 0.8 ** t)) * m / (Math.sqrt(v) / Math.sqrt(1 - 0.9 ** t) + 1e-8);
    }
    expect(p.data[0]).toBeCloseTo(w, 6);
  });

  test('AdamW decays the weight directly (default 0.01)', () => {
    const p = withGrad([2], [1]);
    new AdamW([p], { lr: 0.1 }).step();
    expect(p.data[0]).toBeCloseTo(2 * (1 - 0.1 * 0.01) - 0.1, 5);
  });

  test('StepLR and CosineAnnealingLR set lr each epoch', () => {
    const opt = new SGD([Tensor.zeros([1], { requiresGrad: true })], { lr: 0.1 });
    const step = new StepLR(opt, { stepSize: 2, gamma: 0.5 });
    const lrs = [];
    for (let e = 0; e < 5; e++) {
      step.step();
      lrs.push(opt.lr);
    }
    lrs.forEach((lr, i) => expect(lr).toBeCloseTo([0.1, 0.05, 0.05, 0.025, 0.025][i], 12));
    const opt2 = new Adam([Tensor.zeros([1], { requiresGrad: true })], { lr: 1 });
    const cosine = new CosineAnnealingLR(opt2, { tMax: 4 });
    const values = [1, 2, 3, 4].map(() => (cosine.step(), opt2.lr));
    values.forEach((lr, i) => expect(lr).toBeCloseTo([0.8535533906, 0.5, 0.1464466094, 0][i], 9));
    expect(() => new StepLR(opt, { stepSize: 0 })).toThrow('StepLR: expected options.stepSize to be a positive integer, but got 0');
  });

  test("an optimiser's state dict restores its buffers and step", () => {
    const p = withGrad([1, 2], [0.1, 0.2]);
    const sgd = new SGD([p], { lr: 0.1, momentum: 0.9 });
    sgd.step();
    const state = sgd.stateDict();
    expect(Object.keys(state).sort()).toEqual(['momentum.0', 'step']);
    const q = withGrad([1, 2], [0.1, 0.2]);
    const other = new SGD([q], { lr: 0.5, momentum: 0.9 });
    other.loadStateDict(state);
    expect(other.lr).toBeCloseTo(0.1, 7);
    expect(other.stepCount).toBe(1);
    p.data.set([5, 5]);
    q.data.set([5, 5]);
    sgd.step();
    other.step();
    expect(q.data).toEqual(p.data);
  });
});

describe('DataLoader', () => {
  const inputs = new Tensor(Float32Array.from({ length: 10 * 2 }, (_, i) => i), [10, 2]);
  const labels = Int32Array.from({ length: 10 }, (_, i) => i);

  test('batches in order, with a short last batch unless dropLast', () => {
    const loader = new DataLoader(inputs, labels, { batchSize: 4 });
    const batches = [...loader];
    expect(batches.map((b) => [...b.labels])).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    expect(batches[1].inputs.shape).toEqual([4, 2]);
    expect([...batches[1].inputs.data]).toEqual([8, 9, 10, 11, 12, 13, 14, 15]);
    expect(new DataLoader(inputs, labels, { batchSize: 4, dropLast: true }).length).toBe(2);
  });

  test('shuffles every epoch differently, reproducibly from the seed, keeping inputs with their labels', () => {
    const a = new DataLoader(inputs, labels, { batchSize: 3, shuffle: true, seed: 42 });
    const b = new DataLoader(inputs, labels, { batchSize: 3, shuffle: true, seed: 42 });
    const epoch0 = [...a].flatMap((batch) => [...batch.labels]);
    const epoch1 = [...a].flatMap((batch) => [...batch.labels]);
    expect([...epoch0].sort((x, y) => x - y)).toEqual([...labels]);
    expect(epoch1).not.toEqual(epoch0);
    expect([...b.batches(1)].flatMap((batch) => [...batch.labels])).toEqual(epoch1);
    for (const batch of a.batches(3)) {
      batch.labels.forEach((label, i) => expect(batch.inputs.data[2 * i]).toBe(2 * label));
    }
  });

  test('checks its arguments', () => {
    expect(() => new DataLoader(inputs, labels.subarray(1))).toThrow('DataLoader: expected labels.length to be 10 (inputs.shape[0]), but got 9');
    expect(() => new DataLoader(inputs, labels, { batchSize: 0 })).toThrow('DataLoader: expected options.batchSize to be a positive integer, but got 0');
    expect(() => new DataLoader(inputs, labels, { shuffel: true } as never)).toThrow("DataLoader: unknown option 'shuffel'; did you mean 'shuffle'?");
  });
});

describe('safetensors', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'convcore-st-'));

  test('the bytes follow the format: u64 header length, JSON header, 8-byte aligned little-endian data', () => {
    const bytes = serializeSafetensors({ b: new Tensor([1, 2, 3], [3]), a: new Tensor([-1.5], [1, 1]) }, { note: 'x' });
    const headerLength = Number(bytes.readBigUInt64LE(0));
    expect((8 + headerLength) % 8).toBe(0);
    const header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength));
    expect(header).toEqual({
      __metadata__: { note: 'x' },
      a: { dtype: 'F32', shape: [1, 1], data_offsets: [0, 4] },
      b: { dtype: 'F32', shape: [3], data_offsets: [4, 16] },
    });
    expect(bytes.readFloatLE(8 + headerLength)).toBe(-1.5);
    expect(bytes.readFloatLE(8 + headerLength + 12)).toBe(3);
  });

  test('reads F16, BF16 and F64 tensors as float32 (as written by PyTorch)', () => {
    const header = JSON.stringify({
      h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
      bf: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] },
      d: { dtype: 'F64', shape: [1], data_offsets: [6, 14] },
    });
    const data = Buffer.alloc(14);
    data.writeUInt16LE(0x3c00, 0); // 1.0
    data.writeUInt16LE(0xc100, 2); // -2.5
    data.writeUInt16LE(0x4049, 4); // bfloat16 3.140625
    data.writeDoubleLE(0.1, 6);
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(header.length));
    const { tensors } = parseSafetensors(Buffer.concat([length, Buffer.from(header), data]));
    expect([...tensors.h.data]).toEqual([1, -2.5]);
    expect(tensors.bf.data[0]).toBe(3.140625);
    expect(tensors.d.data[0]).toBe(Math.fround(0.1));
  });

  test('a LeNet-like net saves and loads through a file; wrong files are refused with the reason', async () => {
    manualSeed(1);
    const net = smallNet();
    const file = path.join(dir, 'net.safetensors');
    await saveSafetensors(file, net.stateDict(), { format: 'pt' });
    manualSeed(2);
    const other = smallNet();
    const { tensors, metadata } = await loadSafetensors(file);
    expect(metadata).toEqual({ format: 'pt' });
    other.loadStateDict(tensors);
    other.parameters().forEach((p, i) => expect(p.data).toEqual(net.parameters()[i].data));

    const bytes = readFileSync(file);
    expect(() => parseSafetensors(bytes.subarray(0, bytes.length - 4))).toThrow(/data_offsets of '9.weight'/);
    expect(() => parseSafetensors(bytes.subarray(0, 6))).toThrow(ShapeError);
    const wrongDtype = Buffer.from(bytes);
    wrongDtype.write('"U16"', wrongDtype.indexOf('"F32"'));
    expect(() => parseSafetensors(wrongDtype)).toThrow(
      "parseSafetensors: expected the dtype of '0.bias' to be F32, F64, F16, BF16, I64, I32, I16, I8, U8 or BOOL, but got U16");
    const { tensors: wrongShape } = await loadSafetensors(file);
    wrongShape['7.weight'] = new Tensor(new Float32Array(24), [6, 4]);
    expect(() => other.loadStateDict(wrongShape)).toThrow("loadStateDict: expected state['7.weight'].shape to be [5, 4], but got [6, 4]");
    delete wrongShape['7.weight'];
    expect(() => other.loadStateDict(wrongShape)).toThrow('missing [7.weight]');
    writeFileSync(path.join(dir, 'junk.safetensors'), 'not a checkpoint at all');
    await expect(loadSafetensors(path.join(dir, 'junk.safetensors'))).rejects.toThrow(/header length/);
  });
});

describe('training LeNet on MNIST', () => {
  const { train, test: held } = loadMnist();

  test('the split is the first 80% of each digit', () => {
    expect(train.labels.length + held.labels.length).toBe(10_000);
    expect(train.images.shape.slice(1)).toEqual([1, 28, 28]);
    const counts = new Array(10).fill(0);
    for (const label of train.labels) counts[label]++;
    const total = new Array(10).fill(0);
    for (const label of [...train.labels, ...held.labels]) total[label]++;
    counts.forEach((c, d) => expect(c).toBe(Math.floor(total[d] * 0.8)));
    expect(train.images.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });

  function lenet() {
    return new Sequential(
      new Conv2D(1, 6, 5, { padding: 2 }), new ReLU(), new MaxPool2d(2),
      new Conv2D(6, 16, 5), new ReLU(), new MaxPool2d(2), new Flatten(),
      new Linear(400, 120), new ReLU(), new Linear(120, 84), new ReLU(), new Linear(84, 10));
  }

  function run(net: Sequential, opt: SGD, loader: DataLoader, epochs: number[], stepsPerEpoch: number): number[] {
    const losses: number[] = [];
    for (const epoch of epochs) {
      let step = 0;
      for (const { inputs, labels } of loader.batches(epoch)) {
        if (step++ === stepsPerEpoch) break;
        opt.zeroGrad();
        const loss = crossEntropy(net.forward(inputs), labels);
        loss.backward();
        opt.step();
        losses.push(loss.item());
      }
    }
    return losses;
  }

  test('a run resumed from a checkpoint takes exactly the steps of an uninterrupted one', async () => {
    const subset = { images: new Tensor(train.images.data.subarray(0, 640 * 784), [640, 1, 28, 28]), labels: train.labels.subarray(0, 640) };
    const make = () => {
      manualSeed(4);
      const net = lenet();
      const opt = new SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
      return { net, opt, loader: new DataLoader(subset.images, subset.labels, { batchSize: 64, shuffle: true, seed: 3 }) };
    };
    const whole = make();
    const uninterrupted = run(whole.net, whole.opt, whole.loader, [0, 1, 2], 5);

    const first = make();
    const before = run(first.net, first.opt, first.loader, [0], 5);
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'convcore-resume-')), 'ckpt.safetensors');
    const prefixed = (prefix: string, state: Record<string, Tensor>) =>
      Object.fromEntries(Object.entries(state).map(([k, v]) => [prefix + k, v]));
    await saveSafetensors(file, { ...prefixed('model.', first.net.stateDict()), ...prefixed('optim.', first.opt.stateDict()) });

    const resumed = make();
    const { tensors } = await loadSafetensors(file);
    const part = (prefix: string) =>
      Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v]));
    resumed.net.loadStateDict(part('model.'));
    resumed.opt.loadStateDict(part('optim.'));
    const after = run(resumed.net, resumed.opt, resumed.loader, [1, 2], 5);
    expect([...before, ...after]).toEqual(uninterrupted);
  });

  test('after the first step, a training step takes every gradient buffer from the pool', () => {
    manualSeed(2);
    const net = lenet();
    const opt = new SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
    const loader = new DataLoader(train.images.reshape([-1, 1, 28, 28]), train.labels, { batchSize: 64, dropLast: true });
    const batches = [...loader.batches(0)].slice(0, 40);
    const step = (i: number) => {
      opt.zeroGrad();
      crossEntropy(net.forward(batches[i % batches.length].inputs), batches[i % batches.length].labels).backward();
      opt.step();
    };
    step(0);
    const before = { ...gradientPoolStats };
    for (let i = 1; i < 40; i++) step(i);
    expect(gradientPoolStats.fresh - before.fresh).toBe(0);
    // The large ones (over 1 KiB): conv, pooling, activation and linear gradients.
    expect(gradientPoolStats.reused - before.reused).toBeGreaterThanOrEqual(39 * 15);
  });

  test("zeroGrad gives back the storage of gradients no one read, and only theirs", () => {
    manualSeed(3);
    // 400 floats per weight: over the 1 KiB under which gradients come from the slab.
    const net = new Sequential(new Linear(20, 20), new ReLU(), new Linear(20, 2));
    const opt = new SGD(net.parameters(), { lr: 0.1 });
    const [w1, , w2] = net.parameters();
    const x = randomTensor([4, 20], 1), labels = [0, 1, 1, 0];
    const backward = () => crossEntropy(net.forward(x), labels).backward();
    backward();
    // Read: the caller holds w1's gradient, which must keep its values through later steps.
    const seen = w1.grad!;
    const kept = seen.data.slice();
    // Set by the caller: never the library's to reuse.
    const mine = Tensor.full([20, 20], 7);
    w2.grad = mine;
    opt.zeroGrad();
    expect(w1.grad).toBe(null);
    for (let i = 0; i < 3; i++) {
      backward();
      opt.step(); // the weights move, so every step's gradient differs from the one held
      opt.zeroGrad();
    }
    expect(seen.data).toEqual(kept);
    expect(Array.from(mine.data).every((v) => v === 7)).toBe(true);
    // Unread gradients went back to the pool: the next backward() takes their storage.
    const before = { ...gradientPoolStats };
    backward();
    expect(gradientPoolStats.fresh - before.fresh).toBe(0);
    expect(w1.grad!.data).not.toBe(seen.data);
    // A gradient made from recycled storage holds this step's values, not an old one's.
    const fresh = new Sequential(new Linear(20, 20), new ReLU(), new Linear(20, 2));
    fresh.loadStateDict(net.stateDict());
    crossEntropy(fresh.forward(x), labels).backward();
    expect(w1.grad!.data).toEqual(fresh.parameters()[0].grad!.data);
    // Setting .grad to null (PyTorch's p.grad = None) gives an unread gradient back as well.
    opt.zeroGrad();
    backward();
    for (const p of net.parameters()) p.grad = null;
    const beforeNull = { ...gradientPoolStats };
    backward();
    expect(gradientPoolStats.fresh - beforeNull.fresh).toBe(0);
    // A gradient the caller passes to backward() is copied, never kept as .grad.
    const leaf = Tensor.zeros([400], { requiresGrad: true }), seed = Tensor.full([400], 2);
    leaf.backward(seed);
    expect(leaf.grad!.data).not.toBe(seed.data);
    expect(leaf.grad!.data).toEqual(seed.data);
  });

  test('two epochs on the digits reach over 90% held-out accuracy', () => {
    manualSeed(0);
    const net = lenet();
    const opt = new SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
    const loader = new DataLoader(train.images, train.labels, { batchSize: 64, shuffle: true, seed: 0 });
    const losses = run(net, opt, loader, [0, 1], Infinity);
    expect(losses.slice(-20).reduce((a, b) => a + b) / 20).toBeLessThan(0.5 * losses[0]);
    net.eval();
    const logits = net.forward(held.images);
    let correct = 0;
    for (let i = 0; i < held.labels.length; i++) {
      let best = 0;
      for (let k = 1; k < 10; k++) if (logits.data[i * 10 + k] > logits.data[i * 10 + best]) best = k;
      if (best === held.labels[i]) correct++;
    }
    expect(correct / held.labels.length).toBeGreaterThan(0.9);
  }, 60_000);
});
