// The ResNet blocks and the U-Net's double convolutions write their ReLUs and skip sums
// over the BatchNorm results they have just made (torchvision's ReLU(inplace=True) and
// `out += identity`: lib/models/batch-norm-relu.ts). They must give what the same blocks
// give with fresh results: every output and gradient bitwise equal (same kernels, same
// order); no input changed; and a layer swapped for one that may return its input (an
// Identity) keeps fresh results.
import { describe, expect, it } from 'vitest';
import { BatchNorm2d, Conv2D, Identity, Sequential, Tensor, manualSeed, models } from '../lib/index';
import type { Module } from '../lib/nn/module';
import { bits } from './helpers';

// Same class in all but name: the blocks then take the path with fresh results.
class FreshBatchNorm2d extends BatchNorm2d {}

// Every BatchNorm2d swapped for a FreshBatchNorm2d of the same state; how many.
function withFreshResults(model: Module): number {
  let swapped = 0;
  const swap = (m: Module) => {
    for (const [name, child] of m.namedChildren()) {
      if (child instanceof BatchNorm2d) {
        const fresh = new FreshBatchNorm2d(child.numFeatures);
        fresh.loadStateDict(child.stateDict());
        (m as unknown as Record<string, Module>)[name] = fresh;
        swapped++;
      } else {
        swap(child);
      }
    }
  };
  swap(model);
  return swapped;
}

// Bitwise (NaN-safe), one message per tensor that differs.
function expectSameBits(actual: Float32Array, expected: Float32Array, what: string): void {
  expect(bits(actual).equals(bits(expected)), what).toBe(true);
}

function expectSameTensors(actual: Array<[string, Tensor]>, expected: Array<[string, Tensor]>, grad: boolean): void {
  expect(actual.map(([name]) => name)).toEqual(expected.map(([name]) => name));
  actual.forEach(([name, t], i) => {
    const e = expected[i][1];
    expectSameBits(grad ? t.grad!.data : t.data, grad ? e.grad!.data : e.data, grad ? `${name}.grad` : name);
  });
}

// [what, model, input shape, its BatchNorm2d layers]
const cases = [
  ['ResNet-18', () => models.resnet18({ numClasses: 5, inChannels: 2 }), [3, 2, 29, 31], 20],
  ['a Bottleneck with a strided downsample', () => {
    const planes = 4, expanded = planes * models.Bottleneck.expansion;
    return new models.Bottleneck(6, planes, 2, new Sequential(new Conv2D(6, expanded, 1, { stride: 2, bias: false }), new BatchNorm2d(expanded)));
  }, [3, 6, 9, 7], 4],
  ['a U-Net', () => models.unet({ inChannels: 3, outChannels: 2, baseChannels: 4, depth: 2 }), [2, 3, 8, 12], 10],
] as const;

describe.each(cases)('%s, its results written over', (_, make, shape, batchNorms) => {
  it('gives the outputs, gradients and running statistics of fresh results, bitwise', () => {
    manualSeed(7);
    const overwriting = make();
    const fresh = make();
    fresh.loadStateDict(overwriting.stateDict());
    expect(withFreshResults(fresh)).toBe(batchNorms);

    const x = Tensor.randn([...shape]);
    const before = x.data.slice();
    const run = (model: Module) => {
      const input = x.clone();
      input.requiresGrad = true;
      const output = model.forward(input);
      // A loss that weighs every output differently, so that each gradient path counts.
      output.mul(Tensor.randn(output.shape, { seed: 11 })).sum().backward();
      return { output: output.data, gradInput: input.grad!.data };
    };
    const a = run(overwriting), b = run(fresh);
    expectSameBits(a.output, b.output, 'output');
    expectSameBits(a.gradInput, b.gradInput, 'input gradient');
    expectSameTensors(overwriting.namedParameters(), fresh.namedParameters(), true);
    expectSameTensors(overwriting.namedBuffers(), fresh.namedBuffers(), false);
    expectSameBits(x.data, before, 'input after the step');
  }, 60_000);
});

describe('models.BasicBlock with a layer swapped', () => {
  it('never writes over its input when conv1 and bn1 are Identities', () => {
    manualSeed(3);
    const block = new models.BasicBlock(4, 4);
    block.conv1 = new Identity() as unknown as typeof block.conv1;
    block.bn1 = new Identity() as unknown as typeof block.bn1;
    const x = Tensor.randn([2, 4, 5, 5]);
    const before = Array.from(x.data);
    expect(before.some((v) => v < 0)).toBe(true); // a ReLU over x would change it
    const y = block.forward(x);
    expect(Array.from(x.data)).toEqual(before);
    expect(y.shape).toEqual([2, 4, 5, 5]);
  });
});
