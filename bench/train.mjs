// npm run bench:train: d2l's LeNet trained on the MNIST digits (80/20 split per digit,
// SGD lr 0.05 momentum 0.9, batch 64) by convcore and, in the same run, by PyTorch
// (bench/torch-train-lenet.py, where installed: 1 thread pinned to one core, then 2; the
// same initial weights and batches, every epoch) and by
// TensorFlow.js (layers API, CPU backend: the only tfjs backend that installs here and
// has every gradient kernel) from the same initial weights on the same batches. tfjs needs seconds per step, so it
// trains --tfjs-steps steps (default 8) unless --tfjs-epochs asks for whole epochs;
// convcore's accuracy after the same number of steps is reported beside it.
// Writes results/train.{json,md}.
//   node bench/train.mjs [--epochs 10] [--seed 0] [--tfjs-steps 8] [--tfjs-epochs N] [--no-tfjs]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DataLoader, SGD, crossEntropy, getNumThreads, loadMnist, manualSeed } from 'convcore';
import { argmaxRows, buildLeNet, evaluate } from '../examples/lenet.mjs';
import { canPin, pythonCommand } from './python.mjs';
import { findTorch, writeTrainingInputs } from './torch.mjs';
import { median } from './measure.mjs';
import { cpuName } from './cpu-name.mjs';

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

manualSeed(seed);
const { train, test } = loadMnist();
const loader = new DataLoader(train.images, train.labels, { batchSize: 64, shuffle: true, seed });
const tfjsEpochs = Number(values['tfjs-epochs']);
const tfjsSteps = tfjsEpochs > 0 ? tfjsEpochs * loader.length : Number(values['tfjs-steps']);

// ---- convcore ----------------------------------------------------------------------------
const net = buildLeNet();
// tfjs starts from the same weights (its own default initialisation differs).
const initial = Object.fromEntries(Object.entries(net.stateDict()).map(([k, t]) => [k, { shape: t.shape, data: t.data.slice() }]));
const optimizer = new SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
const epochRates = [];
const convcoreLosses = [];
let step = 0, accuracyAtTfjsSteps = null, trainSeconds = 0, trainSamples = 0;
for (let epoch = 0; epoch < epochs; epoch++) {
  let seconds = 0, samples = 0;
  for (const { inputs, labels } of loader.batches(epoch)) {
    const start = performance.now();
    optimizer.zeroGrad();
    const loss = crossEntropy(net.forward(inputs), labels);
    loss.backward();
    optimizer.step();
    const value = loss.item();
    seconds += (performance.now() - start) / 1000;
    samples += labels.length;
    if (step < tfjsSteps) convcoreLosses.push(value);
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
  // convcore's initial weights in tfjs layouts: conv OIHW → HWIO, dense (out, in) →
  // (in, out), and the first dense layer's inputs from (c, h, w) to NHWC's (h, w, c) order.
  const hwio = ({ shape: [O, I, KH, KW], data }) => {
    const out = new Float32Array(data.length);
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) for (let h = 0; h < KH; h++) for (let w = 0; w < KW; w++) {
      out[((h * KW + w) * I + i) * O + o] = data[((o * I + i) * KH + h) * KW + w];
    }
    return tf.tensor4d(out, [KH, KW, I, O]);
  };
  const dense = ({ shape: [O, I], data }, channels = 1) => {
    const out = new Float32Array(data.length);
    const plane = I / channels;
    for (let o = 0; o < O; o++) for (let i = 0; i < I; i++) {
      const c = Math.floor(i / plane), p = i % plane;  // convcore's input i = (c, p)
      out[(p * channels + c) * O + o] = data[o * I + i];
    }
    return tf.tensor2d(out, [I, O]);
  };
  const vector = ({ data }) => tf.tensor1d(data);
  model.layers[0].setWeights([hwio(initial['0.weight']), vector(initial['0.bias'])]);
  model.layers[2].setWeights([hwio(initial['3.weight']), vector(initial['3.bias'])]);
  model.layers[5].setWeights([dense(initial['7.weight'], 16), vector(initial['7.bias'])]);
  model.layers[6].setWeights([dense(initial['9.weight']), vector(initial['9.bias'])]);
  model.layers[7].setWeights([dense(initial['11.weight']), vector(initial['11.bias'])]);
  // tf.train.momentum is PyTorch's SGD with momentum (v = μ·v + g; p −= lr·v).
  model.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: (y, p) => tf.losses.softmaxCrossEntropy(y, p) });
  // (N, 1, 28, 28) is (N, 28, 28, 1) in memory: the same bytes serve NHWC.
  const nhwc = (images) => tf.tensor4d(images.data, [images.shape[0], 28, 28, 1]);
  const times = [], losses = [];
  let done = 0;
  for (let epoch = 0; done < tfjsSteps; epoch++) {
    for (const { inputs, labels } of loader.batches(epoch)) {
      if (done === tfjsSteps) break;
      const x = nhwc(inputs), y = tf.oneHot(tf.tensor1d(labels, 'int32'), 10);
      const start = performance.now();
      losses.push(Number(await model.trainOnBatch(x, y)));
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
    // Same weights, same batches: the two losses agree step by step up to float rounding.
    maxLossDifference: Math.max(...losses.map((l, i) => Math.abs(l - convcoreLosses[i]))),
  };
}
const tfjs = values['no-tfjs'] || tfjsSteps === 0 ? null : await trainTfjs();

// ---- PyTorch ------------------------------------------------------------------------------------
/** PyTorch's runs at 1 thread (pinned to core 0: its oneDNN convolutions use every core otherwise) and 2. */
function trainTorch(torch) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convcore-train-lenet-'));
  const file = path.join(dir, 'run.safetensors');
  writeTrainingInputs(file, { initial, train, test, loader, epochs });
  const script = fileURLToPath(new URL('./torch-train-lenet.py', import.meta.url));
  const runs = [];
  for (const threads of [1, 2]) {
    const args = [script, file, String(threads), String(epochs), '64'];
    const [cmd, argv, env] = pythonCommand(torch.python, args, threads);
    const r = JSON.parse(execFileSync(cmd, argv, { encoding: 'utf8', env }));
    runs.push({ threads, pinned: threads === 1 && canPin, samplesPerSecond: (epochs * train.labels.length) / r.epochSamplesPerSecond.reduce((s, x) => s + train.labels.length / x, 0),
      medianEpochSamplesPerSecond: median(r.epochSamplesPerSecond), testAccuracy: r.testAccuracy,
      // Same weights, same batches: the first steps' losses agree up to float rounding.
      maxLossDifference: convcoreLosses.length ? Math.max(...convcoreLosses.map((l, i) => Math.abs(l - r.losses[i]))) : null });
    log(`PyTorch ${torch.version}, ${threads} thread${threads > 1 ? 's' : ''}: ${Math.round(runs.at(-1).samplesPerSecond)} samples/s, test accuracy ${(100 * r.testAccuracy).toFixed(2)}%`);
  }
  fs.rmSync(dir, { recursive: true, force: true });
  return { version: torch.version, runs };
}
const torch = findTorch();
const pytorch = torch ? trainTorch(torch) : null;
if (!torch) log('PyTorch: not installed (apt-get install python3-torch), not measured');

// ---- report -----------------------------------------------------------------------------------
const pct = (x) => (x === null ? '–' : `${(100 * x).toFixed(2)}%`);
const date = new Date().toISOString();
const lines = [
  `Measured ${date.slice(0, 10)} by \`npm run bench:train\` on ${cpuName()} ` +
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
if (pytorch) {
  for (const r of pytorch.runs) {
    lines.push(`| PyTorch ${pytorch.version}, ${epochs} epochs, ${r.threads} thread${r.threads > 1 ? 's' : ''}${r.pinned ? ' (pinned)' : ''} | ${convcore.steps} | ` +
      `${pct(r.testAccuracy)} | ${Math.round(r.samplesPerSecond)} (median epoch ${Math.round(r.medianEpochSamplesPerSecond)}) | ` +
      `${tfjs ? `${Math.round(r.samplesPerSecond / tfjs.samplesPerSecond)}×` : '–'} |`);
  }
  const better = Math.max(...pytorch.runs.map((r) => r.samplesPerSecond));
  lines.push('', `convcore trains LeNet at ${(convcore.samplesPerSecond / better).toFixed(2)}× PyTorch's samples/s at its better ` +
    `thread count (${Math.round(better)}), from the same weights on the same batches` +
    (pytorch.runs[0].maxLossDifference !== null ? ` (their losses agree over the first ${convcoreLosses.length} steps within ` +
      `${Math.max(...pytorch.runs.map((r) => r.maxLossDifference)).toExponential(1)}).` : '.'));
}
if (tfjs) {
  lines.push('', `Starting from the same weights on the same batches, the two libraries' losses agree at every one of ` +
    `the ${tfjs.steps} steps to within ${tfjs.maxLossDifference.toExponential(1)}.`);
}
const markdown = lines.join('\n') + '\n';
fs.mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
fs.writeFileSync(new URL('./results/train.json', import.meta.url), JSON.stringify({ date, seed, convcore, pytorch, tfjs }, null, 2) + '\n');
fs.writeFileSync(new URL('./results/train.md', import.meta.url), markdown);
console.log(markdown);
