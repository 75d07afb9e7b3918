// convcore's side of the benchmark: the public API with preallocated outputs (`out`),
// so that what is timed is the kernel, and as users write it (`fresh`: every call
// allocates its result), so that what the allocation costs is seen too.
import * as convcore from 'convcore';
import { dims, outputSize } from './measure.mjs';

// `api`: this package's exports, or another checkout's (bench/time-passes.mjs).
export function convcoreCalls(s, { backend = 'native', outBuffers = 1, api = convcore } = {}) {
  const { Tensor, setBackend } = api;
  const { rank, spatial, kernel } = dims(s);
  const [forward, backward] = {
    1: [api.conv1d, api.conv1dBackward],
    2: [api.conv2d, api.conv2dBackward],
    3: [api.conv3d, api.conv3dBackward],
  }[rank];
  const x = Tensor.randn([s.N, s.C, ...spatial], { seed: 1 });
  const w = Tensor.randn([s.O, s.C / s.groups, ...kernel], { seed: 2 });
  const g = Tensor.randn([s.N, s.O, ...outputSize(s)], { seed: 3 });
  const opts = { stride: s.stride, padding: s.pad, groups: s.groups };
  const dataCompute = { gradWeight: false, gradBias: false }, weightCompute = { gradInput: false, gradBias: false };
  // Options built once, as a training loop would; with outBuffers > 1 the calls write
  // into that many preallocated results in turn (as fresh results do until the garbage
  // collector frees them). The reference backend is switched in around its calls only.
  const forwardOptions = [], dataOptions = [], weightOptions = [];
  for (let i = 0; i < outBuffers; i++) {
    forwardOptions.push({ ...opts, out: Tensor.zeros(g.shape) });
    dataOptions.push({ ...opts, compute: dataCompute, out: { gradInput: Tensor.zeros(x.shape) } });
    weightOptions.push({ ...opts, compute: weightCompute, out: { gradWeight: Tensor.zeros(w.shape) } });
  }
  let turn = 0;
  const next = (list) => list[turn++ % outBuffers];
  const use = (fn) => backend === 'native' ? fn : () => {
    setBackend(backend);
    try {
      return fn();
    } finally {
      setBackend('native');
    }
  };
  const freshData = { ...opts, compute: dataCompute }, freshWeight = { ...opts, compute: weightCompute };
  return {
    fwd: use(() => forward(x, w, null, next(forwardOptions))),
    bwd_data: use(() => backward(x, w, g, next(dataOptions))),
    bwd_weight: use(() => backward(x, w, g, next(weightOptions))),
    fresh: {
      fwd: use(() => forward(x, w, null, opts)),
      bwd_data: use(() => backward(x, w, g, freshData)),
      bwd_weight: use(() => backward(x, w, g, freshWeight)),
    },
    bytes: { input: x.size * 4, output: g.size * 4, weight: w.size * 4 },
  };
}
