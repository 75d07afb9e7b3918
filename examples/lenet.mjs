// d2l's LeNet (section 7.6) with ReLU and max-pooling, and the training loop shared by
// the MNIST examples: one epoch of SGD steps, evaluation, and a progress line.
import { Conv2D, Flatten, Linear, MaxPool2d, ReLU, Sequential, crossEntropy, noGrad } from 'convcore';

/** conv 6@5×5 pad 2 → ReLU → pool 2 → conv 16@5×5 → ReLU → pool 2 → 120 → 84 → 10. */
export function buildLeNet() {
  return new Sequential(
    new Conv2D(1, 6, 5, { padding: 2 }), new ReLU(), new MaxPool2d(2),
    new Conv2D(6, 16, 5), new ReLU(), new MaxPool2d(2),
    new Flatten(),
    new Linear(16 * 5 * 5, 120), new ReLU(),
    new Linear(120, 84), new ReLU(),
    new Linear(84, 10),
  );
}

/** The index of the largest logit in each row. */
export function argmaxRows(logits) {
  const [rows, classes] = logits.shape;
  const out = new Int32Array(rows);
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let k = 1; k < classes; k++) if (logits.data[r * classes + k] > logits.data[r * classes + best]) best = k;
    out[r] = best;
  }
  return out;
}

/** Accuracy of `net` (in eval mode, without a graph) on a whole dataset, in batches of 500. */
export function evaluate(net, images, labels) {
  net.eval();
  let correct = 0;
  const n = labels.length, sample = images.size / n;
  noGrad(() => {
    for (let first = 0; first < n; first += 500) {
      const count = Math.min(500, n - first);
      const batch = images.data.subarray(first * sample, (first + count) * sample);
      const predicted = argmaxRows(net.forward(new images.constructor(batch, [count, ...images.shape.slice(1)])));
      for (let i = 0; i < count; i++) if (predicted[i] === labels[first + i]) correct++;
    }
  });
  net.train();
  return correct / n;
}

/** A one-line progress bar: [=====>    ] 40% plus a status, redrawn in place on a TTY. */
export function progress(fraction, status) {
  const width = 24, filled = Math.round(fraction * width);
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? '>' : '') + ' '.repeat(width - filled);
  return `[${bar}] ${String(Math.round(fraction * 100)).padStart(3)}% ${status}`;
}

/**
 * One epoch of SGD over `loader`; calls onBatch(done, total, meanLoss, accuracy) after
 * each step. Returns { loss, accuracy, seconds } of the epoch (on the training batches).
 */
export function trainEpoch(net, optimizer, loader, epoch, onBatch = () => {}, afterStep = () => {}) {
  let lossSum = 0, correct = 0, seen = 0, done = 0;
  const start = performance.now();
  for (const { inputs, labels } of loader.batches(epoch)) {
    optimizer.zeroGrad();
    const logits = net.forward(inputs);
    const loss = crossEntropy(logits, labels);
    loss.backward();
    optimizer.step();
    afterStep(); // a per-batch learning-rate schedule
    lossSum += loss.item() * labels.length;
    const predicted = argmaxRows(logits);
    for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
    seen += labels.length;
    onBatch(++done, loader.length, lossSum / seen, correct / seen);
  }
  return { loss: lossSum / seen, accuracy: correct / seen, seconds: (performance.now() - start) / 1000, samples: seen };
}
