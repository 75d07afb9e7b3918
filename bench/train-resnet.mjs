// npm run bench:train (third part): torchvision's ResNet-18 (1 input channel, 10
// classes) trained on the MNIST digits by convcore and by PyTorch (bench/
// torch-train-resnet.py) from the same initial weights, on the same batches in the same
// order, with the same SGD (momentum 0.9, weight decay 5e-4) and OneCycleLR, at 2
// threads each; samples per second per epoch (the step only: forward, loss, backward,
// optimiser, schedule), test accuracy, and how far the two runs' losses drift apart.
// Writes results/train-resnet.{json,md}.
//   node bench/train-resnet.mjs [--epochs 2] [--batch 64] [--lr 0.05] [--threads 2]
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import {
  DataLoader, OneCycleLR, SGD, crossEntropy, loadMnist, manualSeed, models, setNumThreads,
} from 'convcore';
import { evaluate } from '../examples/lenet.mjs';
import { findTorch, writeTrainingInputs } from './torch.mjs';
import { cpuName } from './cpu-name.mjs';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '2' }, batch: { type: 'string', default: '64' },
    lr: { type: 'string', default: '0.05' }, threads: { type: 'string', default: '2' },
  },
});
const epochs = Number(values.epochs), batchSize = Number(values.batch), lr = Number(values.lr), threads = Number(values.threads);
const log = (...a) => console.error(...a);
setNumThreads(threads);
manualSeed(0);

const { train, test } = loadMnist();
const loader = new DataLoader(train.images, train.labels, { batchSize, shuffle: true, seed: 0 });
const net = models.resnet18({ numClasses: 10, inChannels: 1 });
const initial = net.stateDict();

// ---- PyTorch's inputs: the same weights, data and batch order --------------------------------
const torch = findTorch();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convcore-train-resnet-'));
const file = path.join(dir, 'run.safetensors');
if (torch) writeTrainingInputs(file, { initial, train, test, loader, epochs });

// ---- convcore -----------------------------------------------------------------------------------
const optimizer = new SGD(net.parameters(), { lr, momentum: 0.9, weightDecay: 5e-4 });
const schedule = new OneCycleLR(optimizer, { maxLr: lr, totalSteps: epochs * loader.length });
const rates = [], losses = [];
for (let epoch = 0; epoch < epochs; epoch++) {
  net.train();
  let seconds = 0, samples = 0;
  for (const { inputs, labels } of loader.batches(epoch)) {
    const start = performance.now();
    optimizer.zeroGrad();
    const loss = crossEntropy(net.forward(inputs), labels);
    loss.backward();
    optimizer.step();
    schedule.step();
    const value = loss.item();
    seconds += (performance.now() - start) / 1000;
    samples += labels.length;
    losses.push(value);
  }
  rates.push(samples / seconds);
  log(`convcore epoch ${epoch + 1}: ${Math.round(samples / seconds)} samples/s, last loss ${losses.at(-1).toFixed(4)}`);
}
const convcore = { epochSamplesPerSecond: rates, testAccuracy: evaluate(net, test.images, test.labels), losses };
log(`convcore: test accuracy ${(100 * convcore.testAccuracy).toFixed(2)}%`);

let pytorch = null;
if (torch) {
  const script = fileURLToPath(new URL('./torch-train-resnet.py', import.meta.url));
  pytorch = JSON.parse(execFileSync(torch.python, [script, file, String(threads), String(epochs), String(batchSize), String(lr)], { encoding: 'utf8' }));
  log(`PyTorch ${torch.version}: ${pytorch.epochSamplesPerSecond.map(Math.round).join(', ')} samples/s, test accuracy ${(100 * pytorch.testAccuracy).toFixed(2)}%`);
} else {
  log('PyTorch: not installed (apt-get install python3-torch python3-torchvision), not measured');
}
fs.rmSync(dir, { recursive: true, force: true });

// ---- report ---------------------------------------------------------------------------------------
const best = (r) => Math.max(...r.epochSamplesPerSecond);
const date = new Date().toISOString();
// Same weights and batches: the losses agree until float rounding, compounded through
// BatchNorm and the updates, pulls the runs apart.
const agreeing = pytorch ? losses.findIndex((l, i) => !(Math.abs(l - pytorch.losses[i]) <= 1e-3)) : -1;
const lines = [
  `Measured ${date.slice(0, 10)} by \`npm run bench:train\` on ${cpuName()} (${os.cpus().length} cores, ` +
    `Node ${process.version}${torch ? `, PyTorch ${torch.version}` : ''}): ResNet-18 (torchvision's, 1 input channel) on the ` +
    `${train.labels.length} MNIST training digits, ${epochs} epochs, batch ${batchSize}, SGD + OneCycleLR (max lr ${lr}), ${threads} threads each, ` +
    'same initial weights and batches.',
  '',
  '| | samples/s (best epoch) | samples/s per epoch | test accuracy |',
  '|---|---|---|---|',
  `| convcore | ${Math.round(best(convcore))} | ${rates.map(Math.round).join(', ')} | ${(100 * convcore.testAccuracy).toFixed(2)}% |`,
  ...(pytorch ? [`| PyTorch ${torch.version} | ${Math.round(best(pytorch))} | ${pytorch.epochSamplesPerSecond.map(Math.round).join(', ')} | ` +
    `${(100 * pytorch.testAccuracy).toFixed(2)}% |`, '',
  `convcore trains at ${(best(convcore) / best(pytorch)).toFixed(2)}× PyTorch's samples/s. The two runs' losses agree within 1e-3 ` +
    `for the first ${agreeing < 0 ? losses.length : agreeing} steps, then drift apart as rounding compounds (test accuracies above).`] : []),
];
const markdown = lines.join('\n') + '\n';
fs.mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
fs.writeFileSync(new URL('./results/train-resnet.json', import.meta.url), JSON.stringify({ date, epochs, batchSize, lr, threads, convcore, pytorch }, null, 2) + '\n');
fs.writeFileSync(new URL('./results/train-resnet.md', import.meta.url), markdown);
console.log(markdown);
