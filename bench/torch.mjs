// PyTorch (Debian's python3-torch, oneDNN inside) on the bench's shapes, through
// bench/torch-runner.py workers that bench/run.mjs asks for one call at a time, between
// its own measurements of the same call: one thread pinned to core 0
// (torch.set_num_threads(1) alone still runs oneDNN's convolutions on every core) with
// OMP_NUM_THREADS=1, and every core. Each setting runs in two processes: the same
// PyTorch call here has measured 10 ms in one process and 35 ms in another.
import * as fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Tensor, serializeSafetensors } from 'convcore';
import { canPin, findPython, pythonWorker } from './python.mjs';

const RUNNER = fileURLToPath(new URL('./torch-runner.py', import.meta.url));

/** A Python that imports torch (the Debian package lives under /usr/bin), or null. */
export function findTorch() {
  return findPython('torch');
}

/**
 * For each thread count, `processes` running torch-runner.py workers:
 * { [threads]: [{ ask(shape, pass) → {shape, pass, threads, medianMs, minMs, reps}, close() }] },
 * plus whether the 1-thread ones are pinned.
 */
export function torchWorkers(torch, threadCounts, { minSeconds = 0.4, processes = 2 } = {}) {
  const workers = {};
  for (const threads of threadCounts) {
    workers[threads] = Array.from({ length: processes }, () => {
      const worker = pythonWorker(torch.python, [RUNNER, String(threads), String(minSeconds)], threads);
      return { ask: (shape, pass) => worker.ask({ shape, pass }), close: worker.close };
    });
  }
  return { workers, pinned: canPin };
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
