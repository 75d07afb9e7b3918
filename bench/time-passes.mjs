// Times the three passes of standard shapes at 1 and 2 threads with the convcore package
// at a given directory (this checkout's or an earlier one's), results into `out`, and
// prints one JSON line { "shape/pass/threads": median ms }. One process per package:
// bench/avx2-then-now.mjs alternates them.
//   node bench/time-passes.mjs PACKAGE_DIR res3x3,res1x1 fwd,bwd_data
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { dims, measure, outputSize } from './measure.mjs';

const [packageDir, shapeIds, passList] = process.argv.slice(2);
const cc = await import(pathToFileURL(path.join(packageDir, 'dist', 'index.js')).href);
const shapes = ['shapes.json', 'shapes-nd.json']
  .flatMap((f) => JSON.parse(fs.readFileSync(new URL(f, import.meta.url), 'utf8')).shapes);
const OPS = { 1: [cc.conv1d, cc.conv1dBackward], 2: [cc.conv2d, cc.conv2dBackward], 3: [cc.conv3d, cc.conv3dBackward] };

// The calls of bench/convcore-runner.mjs, on this package's API (unchanged since the
// first AVX2 engine: results into `out`, gradients chosen with `compute`).
function calls(s) {
  const { rank, spatial, kernel } = dims(s);
  const [forward, backward] = OPS[rank];
  const x = cc.Tensor.randn([s.N, s.C, ...spatial], { seed: 1 });
  const w = cc.Tensor.randn([s.O, s.C / s.groups, ...kernel], { seed: 2 });
  const g = cc.Tensor.randn([s.N, s.O, ...outputSize(s)], { seed: 3 });
  const opts = { stride: s.stride, padding: s.pad, groups: s.groups };
  const y = cc.Tensor.zeros(g.shape), gx = cc.Tensor.zeros(x.shape), gw = cc.Tensor.zeros(w.shape);
  const dataOptions = { ...opts, compute: { gradWeight: false, gradBias: false }, out: { gradInput: gx } };
  const weightOptions = { ...opts, compute: { gradInput: false, gradBias: false }, out: { gradWeight: gw } };
  return {
    fwd: () => forward(x, w, null, { ...opts, out: y }),
    bwd_data: () => backward(x, w, g, dataOptions),
    bwd_weight: () => backward(x, w, g, weightOptions),
  };
}

const times = {};
for (const id of shapeIds.split(',')) {
  const c = calls(shapes.find((s) => s.id === id));
  for (const pass of passList.split(','))
    for (const threads of [1, 2]) {
      cc.setNumThreads(threads);
      times[`${id}/${pass}/${threads}`] = measure(c[pass], { minReps: 10, minSeconds: 0.5 }).medianMs;
    }
}
console.log(JSON.stringify(times));
