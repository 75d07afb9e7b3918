import { setNumThreads } from 'convcore';
import { convcoreCalls } from '/work/main/bench/convcore-runner.mjs';
import fs from 'node:fs';
const [id, pass, secs = '3'] = process.argv.slice(2);
const s = JSON.parse(fs.readFileSync('/work/main/bench/shapes.json','utf8')).shapes.find(x => x.id === id);
setNumThreads(Number(process.env.T ?? 1));
const calls = convcoreCalls(s);
const end = Date.now() + Number(secs) * 1000;
let n = 0; const t0 = performance.now();
while (Date.now() < end) { calls[pass](); n++; }
console.log(id, pass, ((performance.now() - t0) / n).toFixed(3), 'ms');
