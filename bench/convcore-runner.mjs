// convcore's side of the benchmark: the public API with preallocated outputs (`out`),
// so that what is timed is the kernel, and as users write it (`fresh`: every call
// allocates its result), so that what the allocation costs is seen too.
import {
  Tensor, conv1d, conv1dBackward, conv2d, conv2dBackward, conv3d, conv3dBackward, setBackend,
} from 'convcore';
import { dims, outputSize } from './measure.mjs';

const OPS = {
  1: [conv1d, conv1dBackward],
  2: [conv2d, conv2dBackward],
  3: [conv3d, conv3dBackward],
};

export function convcoreCalls(s, { backend = 'native' } = {}) {
  const { rank, spatial, kernel } = dims(s);
  const [forward, backward] = OPS[rank];
  const x = Tensor.randn([s.N, s.C, ...spatial], { seed: 1 });
  const w = Tensor.randn([s.O, s.C / s.groups, ...kernel], { seed: 2 });
  const g = Tensor.randn([s.N, s.O, ...outputSize(s)], { seed: 3 });
  const opts = { stride: s.stride, padding: s.pad, groups: s.groups };
  const y = Tensor.zeros(g.shape);
  const gx = Tensor.zeros(x.shape), gw = Tensor.zeros(w.shape);
  // Options built once, as a training loop would; the reference backend is switched in
  // around each of its calls only.
  const forwardOptions = { ...opts, out: y };
  const dataOptions = { ...opts, compute: { gradWeight: false, gradBias: false }, out: { gradInput: gx } };
  const weightOptions = { ...opts, compute: { gradInput: false, gradBias: false }, out: { gradWeight: gw } };
  const use = (fn) => backend === 'native' ? fn : () => {
    setBackend(backend);
    try {
      return fn();
    } finally {
      setBackend('native');
    }
  };
  const freshData = { ...opts, compute: dataOptions.compute }, freshWeight = { ...opts, compute: weightOptions.compute };
  return {
    fwd: use(() => forward(x, w, null, forwardOptions)),
    bwd_data: use(() => backward(x, w, g, dataOptions)),
    bwd_weight: use(() => backward(x, w, g, weightOptions)),
    fresh: {
      fwd: use(() => forward(x, w, null, opts)),
      bwd_data: use(() => backward(x, w, g, freshData)),
      bwd_weight: use(() => backward(x, w, g, freshWeight)),
    },
    bytes: { input: x.size * 4, output: y.size * 4 },
  };
}
