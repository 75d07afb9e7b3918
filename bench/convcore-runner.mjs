// convcore's side of the benchmark: the public API with preallocated outputs (`out`),
// so that what is timed is the kernel, not the allocation of a fresh result.
import { Tensor, conv2d, conv2dBackward, setBackend } from 'convcore';
import { outputSize } from './measure.mjs';

export function convcoreCalls(s, { backend = 'native' } = {}) {
  const [oh, ow] = outputSize(s);
  const x = Tensor.randn([s.N, s.C, s.H, s.W], { seed: 1 });
  const w = Tensor.randn([s.O, s.C / s.groups, s.kh, s.kw], { seed: 2 });
  const g = Tensor.randn([s.N, s.O, oh, ow], { seed: 3 });
  const opts = { stride: s.stride, padding: s.pad, groups: s.groups };
  const y = Tensor.zeros([s.N, s.O, oh, ow]);
  const gx = Tensor.zeros(x.shape), gw = Tensor.zeros(w.shape);
  const use = (fn) => () => {
    setBackend(backend);
    try {
      return fn();
    } finally {
      setBackend('native');
    }
  };
  return {
    fwd: use(() => conv2d(x, w, null, { ...opts, out: y })),
    bwd_data: use(() => conv2dBackward(x, w, g, { ...opts, compute: { gradWeight: false, gradBias: false }, out: { gradInput: gx } })),
    bwd_weight: use(() => conv2dBackward(x, w, g, { ...opts, compute: { gradInput: false, gradBias: false }, out: { gradWeight: gw } })),
    bytes: { input: x.size * 4, output: y.size * 4 },
  };
}
