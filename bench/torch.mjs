// PyTorch (Debian's python3-torch, oneDNN inside) on the bench's shapes, through
// bench/torch-runner.py: one thread pinned to core 0 (torch.set_num_threads(1) alone
// still runs oneDNN's convolutions on every core) with OMP_NUM_THREADS=1, and every
// core. Each setting runs in two processes and keeps the better median per call: the
// same PyTorch call here measures 10 ms in one process and 35 ms in another.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor, serializeSafetensors } from 'convcore';
import { canPin, findPython, pythonCommand } from './python.mjs';

const RUNNER = fileURLToPath(new URL('./torch-runner.py', import.meta.url));

/** A Python that imports torch (the Debian package lives under /usr/bin), or null. */
export function findTorch() {
  return findPython('torch');
}

/** Rows {shape, pass, threads, medianMs, minMs} for threads 1 (pinned) and `cores`. */
export function torchTimes(torch, shapes, cores, { minSeconds = 0.4, processes = 2 } = {}) {
  const rows = [];
  for (const threads of [1, cores]) {
    const runs = [];
    for (let p = 0; p < processes; p++) {
      const args = [RUNNER, String(threads), String(minSeconds)];
      const [cmd, argv, env] = pythonCommand(torch.python, args, threads);
      const out = execFileSync(cmd, argv, { input: JSON.stringify(shapes), encoding: 'utf8', env, maxBuffer: 1 << 24 });
      runs.push(out.trim().split('\n').map((line) => JSON.parse(line)));
    }
    for (const row of runs[0]) {
      const same = runs.map((r) => r.find((x) => x.shape === row.shape && x.pass === row.pass));
      rows.push({ ...row, threads, medianMs: Math.min(...same.map((x) => x.medianMs)), minMs: Math.min(...same.map((x) => x.minMs)), pinned: threads === 1 && canPin });
    }
  }
  return rows;
}

/**
 * Writes what a PyTorch training run reads (bench/torch_safetensors.py) to `file`: the
 * initial state under "model.<name>", the MNIST split, and the loader's order of each epoch.
 */
export function writeTrainingInputs(file, { initial, train, test, loader, epochs }) {
  const labels = (l) => new Tensor(Float32Array.from(l), [l.length]);
  const orders = Object.fromEntries(Array.from({ length: epochs }, (_, e) => [`order.${e}`, labels(loader.order(e))]));
  const model = Object.fromEntries(Object.entries(initial).map(([k, t]) => [`model.${k}`, new Tensor(Float32Array.from(t.data), t.shape)]));
  fs.writeFileSync(file, serializeSafetensors({
    ...model, ...orders, train_images: train.images, train_labels: labels(train.labels), test_images: test.images, test_labels: labels(test.labels),
  }));
}
