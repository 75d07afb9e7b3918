// Activations and containers (issue 17): PyTorch 1.13's values and gradients at points on
// both sides of every kink (−3, 0, 3, 6), the native kernels against the reference on
// tensors large enough for the native path, finite differences, the layers, ModuleList
// and ModuleDict naming their children's parameters as PyTorch does.
import { describe, expect, it } from 'vitest';
import {
  AutogradError, Conv2D, GELU, Hardswish, Identity, LeakyReLU, Linear, ModuleDict, ModuleList, ReLU6, SiLU, Softmax, Tensor,
  ArgumentRangeError, gelu, hardswish, hardtanh, leakyRelu, relu6, silu, softmax,
} from '../lib/index';
import { checkGradients, expectClose, randomTensor, withBackend } from './helpers';

const POINTS = [-5, -3, -2.5, -1, -0.25, 0, 0.3, 1, 2.9, 3, 3.5, 8];
// [values, gradients of the sum] from torch.nn.functional at POINTS.
const TORCH: Record<string, [number[], number[]]> = {
  gelu: [[-1.4901161e-06, -0.0040498674, -0.015524179, -0.15865529, -0.10032343, 0, 0.18537343, 0.84134471, 2.8945889, 2.9959502, 3.4991856, 8],
    [-7.1227551e-06, -0.011945605, -0.037611067, -0.083315432, 0.3046267, 0.5, 0.73232776, 1.0833154, 1.0153965, 1.0119456, 1.0028217, 1]],
  geluTanh: [[-2.9802322e-07, -0.0036374331, -0.015084296, -0.15880799, -0.10032465, 0, 0.18537094, 0.84119201, 2.8950334, 2.9963627, 3.4993837, 8],
    [-2.0108757e-06, -0.011584297, -0.037951652, -0.082964092, 0.3046459, 0.5, 0.73229551, 1.0829641, 1.0151255, 1.0115843, 1.0024225, 1]],
  silu: [[-0.033464253, -0.14227761, -0.18964545, -0.26894143, -0.10945588, 0, 0.17233276, 0.7310586, 2.7487547, 2.8577225, 3.3974073, 7.9973173],
    [-0.026547434, -0.088104106, -0.099401109, 0.072329484, 0.37628999, 0.5, 0.64778006, 0.92767054, 1.0912037, 1.0881041, 1.0702735, 1.0023464]],
  hardswish: [[0, 0, -0.20833333, -0.33333334, -0.11458334, 0, 0.16500001, 0.66666669, 2.8516667, 3, 3.5, 8],
    [0, -0.5, -0.33333331, 0.16666666, 0.41666666, 0.5, 0.60000002, 0.83333337, 1.4666667, 1.5, 1, 1]],
  leakyRelu: [[-1, -0.60000002, -0.5, -0.2, -0.050000001, 0, 0.30000001, 1, 2.9000001, 3, 3.5, 8],
    [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 1, 1, 1, 1, 1, 1]],
  relu6: [[0, 0, 0, 0, 0, 0, 0.30000001, 1, 2.9000001, 3, 3.5, 6], [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 0]],
};
const OPS: Record<string, (x: Tensor) => Tensor> = {
  gelu: (x) => gelu(x), geluTanh: (x) => gelu(x, { approximate: 'tanh' }), silu, hardswish,
  leakyRelu: (x) => leakyRelu(x, 0.2), relu6,
};

describe('activations', () => {
  for (const kind of ['native', 'reference'] as const) {
    it.each(Object.keys(OPS))(`%s matches PyTorch at the kinks (${kind})`, (name) => withBackend(kind, () => {
      const x = Tensor.fromArray(POINTS, { requiresGrad: true });
      const y = OPS[name](x);
      y.sum().backward();
      expectClose(y.data, Float32Array.from(TORCH[name][0]), { atol: 1e-6, rtol: 1e-6, what: `${name} values` });
      expectClose(x.grad!.data, Float32Array.from(TORCH[name][1]), { atol: 1e-6, rtol: 1e-6, what: `${name} gradients` });
    }));
  }

  it.each(Object.keys(OPS))('%s: native = reference on 10,007 elements; finite differences', (name) => {
    const run = (kind: 'native' | 'reference') => withBackend(kind, () => {
      const x = randomTensor([10007], 1, { requiresGrad: true });
      x.data.forEach((v, i) => { x.data[i] = v * 6; });
      const y = OPS[name](x);
      y.mul(randomTensor([10007], 2)).sum().backward();
      return { y: y.data, g: x.grad!.data };
    });
    const native = run('native'), reference = run('reference');
    expectClose(native.y, reference.y, { atol: 1e-6, rtol: 1e-6, what: 'values' });
    expectClose(native.g, reference.g, { atol: 1e-6, rtol: 1e-5, what: 'gradients' });
    // Away from the kinks (|x ± 3| and |x| above the step), where the derivative is continuous.
    const x = Tensor.fromArray([-4.1, -2.2, -0.7, 0.4, 1.3, 2.6, 4.4]);
    checkGradients((t) => OPS[name](t), [x], 3, 1e-3, 1e-2);
  });

  it('softmax sums to 1 along dim, matches exp(x)/Σexp(x) and its gradients', () => {
    const x = randomTensor([3, 4, 5], 4);
    const y = softmax(x, 1);
    for (let a = 0; a < 3; a++) for (let c = 0; c < 5; c++) {
      let total = 0, denominator = 0;
      for (let b = 0; b < 4; b++) denominator += Math.exp(x.data[(a * 4 + b) * 5 + c]);
      for (let b = 0; b < 4; b++) {
        total += y.data[(a * 4 + b) * 5 + c];
        expect(y.data[(a * 4 + b) * 5 + c]).toBeCloseTo(Math.exp(x.data[(a * 4 + b) * 5 + c]) / denominator, 6);
      }
      expect(total).toBeCloseTo(1, 6);
    }
    checkGradients((t) => softmax(t, 0), [randomTensor([4, 3], 5)], 6, 1e-3, 1e-2);
  });

  it('layers wrap the functions; bad arguments refused', () => {
    const x = Tensor.fromArray(POINTS);
    expect(Array.from(new GELU({ approximate: 'tanh' }).forward(x).data)).toEqual(Array.from(gelu(x, { approximate: 'tanh' }).data));
    expect(Array.from(new LeakyReLU(0.2).forward(x).data)).toEqual(Array.from(leakyRelu(x, 0.2).data));
    for (const [Layer, f] of [[SiLU, silu], [Hardswish, hardswish], [ReLU6, relu6]] as const) {
      expect(Array.from(new Layer().forward(x).data)).toEqual(Array.from(f(x).data));
    }
    expect(new Softmax(0).forward(x).sum().item()).toBeCloseTo(1, 6);
    expect(new Identity().forward(x)).toBe(x);
    expect(Array.from(hardtanh(x, -1, 2).data)).toEqual(POINTS.map((v) => Math.fround(Math.min(2, Math.max(-1, v)))));
    expect(() => new GELU({ approximate: 'fast' } as never)).toThrow(ArgumentRangeError);
    expect(() => leakyRelu(x, NaN)).toThrow(/negativeSlope/);
  });
});

describe('containers', () => {
  it('ModuleList and ModuleDict name their children as PyTorch', () => {
    class Net extends ModuleDict {}
    const list = new ModuleList([new Linear(2, 3), new Linear(3, 1)]).append(new Conv2D(1, 1, 1));
    const dict = new Net({ encoder: new Linear(2, 2), heads: list });
    expect(list.length).toBe(3);
    expect([...list].length).toBe(3);
    expect(dict.keys()).toEqual(['encoder', 'heads']);
    expect(Object.keys(dict.stateDict())).toEqual(['encoder.weight', 'encoder.bias', 'heads.0.weight', 'heads.0.bias',
      'heads.1.weight', 'heads.1.bias', 'heads.2.weight', 'heads.2.bias']);
    expect(dict.get('encoder')).toBeInstanceOf(Linear);
    expect(() => dict.set('training', new Linear(1, 1))).toThrow(/not a property of ModuleDict/);
    expect(() => list.forward(Tensor.ones([1]))).toThrow(AutogradError);
  });
});
