// npm run bench:isa-paths: each path's AVX-512 build against its AVX2 build on a sweep of
// channel-rich shapes (3-128 channels, 7-56 pixels wide, 1×1 to 5×5 kernels), one thread,
// the better median of two runs of each level, each level in its own process (the ISA is
// chosen once per process; CONVCORE_ISA_EVERYWHERE=1 keeps every path on AVX-512). The
// AVX-512 rules of native/kernels/dispatch.cc come from this table.
//   node bench/isa-paths.mjs [--runs N]
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

function sweep() {
  // In the child: time every shape's three passes with the ISA of this process.
  const require = createRequire(import.meta.url);
  const { packGeometry } = require('../dist/geometry.js');
  const addon = require('../dist/binding.js').nativeAddon();
  addon.setNumThreads(1);
  const rand = (n) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898) * 0.5);
  const out = {};
  for (const [C, O] of [[3, 16], [6, 16], [16, 32], [32, 32], [64, 64], [128, 128]]) {
    for (const size of [7, 8, 12, 14, 16, 24, 28, 32, 56]) {
      for (const k of [1, 3, 5]) {
        if (k > size) continue;
        const N = Math.min(64, Math.max(1, Math.round(2e6 / ((C * size * size * O * k * k) / 64))));
        const pad = k >> 1;
        const P = packGeometry({
          batch: N, inChannels: C, outChannels: O, groups: 1, inDepth: 1, inHeight: size, inWidth: size,
          kernelDepth: 1, kernelHeight: k, kernelWidth: k, outDepth: 1, outHeight: size, outWidth: size,
          strideD: 1, strideH: 1, strideW: 1, padFront: 0, padTop: pad, padLeft: pad, dilationD: 1, dilationH: 1, dilationW: 1,
        });
        const x = rand(N * C * size * size), w = rand(O * C * k * k), y = new Float32Array(N * O * size * size), gy = rand(y.length);
        const gx = new Float32Array(x.length), gw = new Float32Array(w.length);
        const passes = {
          fwd: () => addon.convForward(P, x, w, null, y),
          bwd_data: () => addon.convBackward(P, null, w, gy, gx, null, null),
          bwd_weight: () => addon.convBackward(P, x, null, gy, null, gw, null),
        };
        const id = `C${C} O${O} ${size}x${size} k${k}`;
        out[id] = {};
        for (const [pass, call] of Object.entries(passes)) {
          call();
          const times = [];
          for (let r = 0; r < 15; r++) {
            const t0 = process.hrtime.bigint();
            call();
            times.push(Number(process.hrtime.bigint() - t0) / 1e6);
          }
          out[id][pass] = times.sort((a, b) => a - b)[7];
        }
      }
    }
  }
  return { isa: addon.isa(), out };
}

if (process.argv[2] === '--child') {
  console.log(JSON.stringify(sweep()));
} else {
  const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 2);
  const level = (env) => Array.from({ length: runs }, () =>
    JSON.parse(execFileSync(process.execPath, [self, '--child'], { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 24 })));
  const avx2 = level({ CONVCORE_ISA: 'avx2' });
  const avx512 = level({ CONVCORE_ISA_EVERYWHERE: '1' });
  if (avx512[0].isa !== 'avx512') {
    console.log(`This CPU has no AVX-512 (isa: ${avx512[0].isa}): nothing to compare.`);
    process.exit(0);
  }
  console.log('AVX-512 time / AVX2 time - 1, per pass (negative: AVX-512 faster), one thread\n');
  console.log('| shape | fwd | bwd_data | bwd_weight |\n|---|---|---|---|');
  for (const id of Object.keys(avx2[0].out)) {
    const cells = ['fwd', 'bwd_data', 'bwd_weight'].map((pass) => {
      const best = (runsOf) => Math.min(...runsOf.map((r) => r.out[id][pass]));
      return `${((best(avx512) / best(avx2) - 1) * 100).toFixed(0)}%`;
    });
    console.log(`| ${id} | ${cells.join(' | ')} |`);
  }
}
