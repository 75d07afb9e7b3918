// npm run bench:train: d2l's LeNet trained on the MNIST digits (80/20 split per digit,
// SGD lr 0.05 momentum 0.9, batch 64) by convcore and, in the same run, by
// TensorFlow.js (layers API, CPU backend: the only tfjs backend that installs here and
// has every gradient kernel) on the same batches. tfjs needs seconds per step, so it
// trains --tfjs-steps steps (default 8) unless --tfjs-epochs asks for whole epochs;
// convcore's accuracy after the same number of steps is reported beside it.
// Writes results/train.{json,md}.
//   node bench/train.mjs [--epochs 10] [--seed 0] [--tfjs-steps 8] [--tfjs-epochs N] [--no-tfjs]
import * as fs from 'node:fs';
import * as os from 'node:os';
import { parseArgs } from 'node:util';
import { DataLoader, SGD, crossEntropy, getNumThreads, loadMnist, manualSeed } from 'convcore';
import { argmaxRows, buildLeNet, evaluate } from '../examples/lenet.mjs';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    seed: { type: 'string', default: '0' },
    'tfjs-steps': { type: 'string', default: '8' },
    'tfjs-epochs': { type: 'string', default: '0' },
    'no-tfjs': { type: 'boolean', default: false },
  },
});
const epochs = Number(values.epochs), seed = Number(values.seed);
const log = (...a) => console.error(...a);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

manualSeed(seed);
const { train, test } = loadMnist();
const loader = new DataLoader(train.images, train.labels, { batchSize: 64, shuffle: true, seed });
const tfjsEpochs = Number(values['tfjs-epochs']);
const tfjsSteps = tfjsEpochs > 0 ? tfjsEpochs * loader.length : Number(values['tfjs-steps']);

// ---- convcore ----------------------------------------------------------------------------
const net = buildLeNet();
const optimizer = new SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
const epochRates = [];
let step = 0, accuracyAtTfjsSteps = null, trainSeconds = 0, trainSamples = 0;
for (let epoch = 0; epoch < epochs; epoch++) {
  let seconds = 0, samples = 0;
  for (const { inputs, labels } of loader.batches(epoch)) {
    const start = performance.now();
    optimizer.zeroGrad();
    const loss = crossEntropy(net.forward(inputs), labels);
    loss.backward();
    optimizer.step();
    loss.item();
    seconds += (performance.now() - start) / 1000;
    samples += labels.length;
    if (++step === tfjsSteps) accuracyAtTfjsSteps = evaluate(net, test.images, test.labels);
  }
  epochRates.push(samples / seconds);
  trainSeconds += seconds;
  trainSamples += samples;
  log(`convcore epoch ${epoch + 1}: ${Math.round(samples / seconds)} samples/s`);
}
const convcore = {
  epochs, steps: step, testAccuracy: evaluate(net, test.images, test.labels), accuracyAtTfjsSteps,
  samplesPerSecond: trainSamples / trainSeconds, medianEpochSamplesPerSecond: median(epochRates), threads: getNumThreads(),
};
log(`convcore: ${(100 * convcore.testAccuracy).toFixed(2)}% after ${epochs} epochs, ${Math.round(convcore.samplesPerSecond)} samples/s`);

// ---- TensorFlow.js --------------------------------------------------------------------------
async function trainTfjs() {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const tfl = await import('@tensorflow/tfjs-layers');
  await tf.setBackend('cpu');
  await tf.ready();
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [28, 28, 1], filters: 6, kernelSize: 5, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 5, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 120, activation: 'relu' }),
      tfl.layers.dense({ units: 84, activation: 'relu' }),
      tfl.layers.dense({ units: 10 }),
    ],
  });
  // tf.train.momentum is PyTorch's SGD with momentum (v = μ·v + g; p −= lr·v).
  model.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p) });
  // (N, 1, 28, 28) is (N, 28, 28, 1) in memory: the same bytes serve NHWC.
  const nhwc = (images) => tf.tensor4d(images.data, [images.shape[0], 28, 28, 1]);
  const times = [];
  let done = 0;
  for (let epoch = 0; done < tfjsSteps; epoch++) {
    for (const { inputs, labels } of loader.batches(epoch)) {
      if (done === tfjsSteps) break;
      const x = nhwc(inputs), y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
      const start = performance.now();
      await model.trainOnBatch(x, y);
      times.push((performance.now() - start) / 1000);
      tf.dispose([x, y]);
      log(`tfjs-cpu step ${++done}/${tfjsSteps}: ${times.at(-1).toFixed(2)} s`);
    }
  }
  const x = nhwc(test.images);
  const logits = model.predict(x);
  const predicted = argmaxRows({ shape: logits.shape, data: await logits.data() });
  tf.dispose([x, logits]);
  const correct = predicted.reduce((n, p, i) => n + (p === test.labels[i] ? 1 : 0), 0);
  return {
    backend: 'cpu', version: tf.version_core, steps: done, testAccuracy: correct / test.labels.length,
    samplesPerSecond: 64 / median(times), medianStepSeconds: median(times),
  };
}
const tfjs = values['no-tfjs'] || tfjsSteps === 0 ? null : await trainTfjs();

// ---- report -----------------------------------------------------------------------------------
const pct = (x) => (x === null ? '–' : `${(100 * x).toFixed(2)}%`);
const date = new Date().toISOString();
const lines = [
  `Measured ${date.slice(0, 10)} by \`npm run bench:train\` on ${os.cpus()[0]?.model ?? 'unknown'} ` +
    `(${os.cpus().length} cores, Node ${process.version}, convcore on ${convcore.threads} threads), seed ${seed}.`,
  '',
  '| | steps | test accuracy | training samples/s | vs tfjs-cpu |',
  '|---|---|---|---|---|',
  `| convcore, ${epochs} epochs | ${convcore.steps} | ${pct(convcore.testAccuracy)} | ${Math.round(convcore.samplesPerSecond)} ` +
    `(median epoch ${Math.round(convcore.medianEpochSamplesPerSecond)}) | ${tfjs ? `${Math.round(convcore.samplesPerSecond / tfjs.samplesPerSecond)}×` : '–'} |`,
];
if (tfjs) {
  lines.push(`| convcore after ${tfjs.steps} steps | ${tfjs.steps} | ${pct(convcore.accuracyAtTfjsSteps)} | (same run) | |`);
  lines.push(`| tfjs-cpu ${tfjs.version} (layers API) after ${tfjs.steps} steps | ${tfjs.steps} | ${pct(tfjs.testAccuracy)} | ` +
    `${tfjs.samplesPerSecond.toFixed(1)} (median step ${tfjs.medianStepSeconds.toFixed(2)} s) | 1× |`);
}
const markdown = lines.join('\n') + '\n';
fs.mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
fs.writeFileSync(new URL('./results/train.json', import.meta.url), JSON.stringify({ date, seed, convcore, tfjs }, null, 2) + '\n');
fs.writeFileSync(new URL('./results/train.md', import.meta.url), markdown);
console.log(markdown);
