// Times the three passes of standard shapes at 1 and 2 threads with the convcore package
// at a given directory (this checkout's or an earlier one's), results into `out`, and
// prints one JSON line { "shape/pass/threads": median ms }. One process per package:
// bench/avx2-then-now.mjs alternates them.
//   node bench/time-passes.mjs PACKAGE_DIR res3x3,res1x1 fwd,bwd_data
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { measure } from './measure.mjs';
import { convcoreCalls } from './convcore-runner.mjs';

const [packageDir, shapeIds, passList] = process.argv.slice(2);
const cc = await import(pathToFileURL(path.join(packageDir, 'dist', 'index.js')).href);
const shapes = ['shapes.json', 'shapes-nd.json']
  .flatMap((f) => JSON.parse(fs.readFileSync(new URL(f, import.meta.url), 'utf8')).shapes);
// (Importing the runner loads this checkout's addon too; its threads stay asleep.)
const times = {};
for (const id of shapeIds.split(',')) {
  // The calls of npm run bench, made with that package's API.
  const c = convcoreCalls(shapes.find((s) => s.id === id), { api: cc });
  for (const pass of passList.split(','))
    for (const threads of [1, 2]) {
      cc.setNumThreads(threads);
      times[`${id}/${pass}/${threads}`] = measure(c[pass], { minReps: 10, minSeconds: 0.5 }).medianMs;
    }
}
console.log(JSON.stringify(times));
