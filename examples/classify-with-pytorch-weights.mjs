// Classifies images with a ResNet trained in PyTorch: the torchvision state dict, saved in
// Python as safetensors, loads by name into convcore's resnet18/34/50.
//   python3 -c "import torchvision, safetensors.torch as st; st.save_file(
//     torchvision.models.resnet18(weights='DEFAULT').state_dict(), 'resnet18.safetensors')"
//   node examples/classify-with-pytorch-weights.mjs resnet18.safetensors photo.jpg [more.jpg …] [--arch resnet18]
// Prints the five most likely ImageNet class indices with their probabilities.
import { imageToTensor, loadSafetensors, models, noGrad, softmax, interpolate } from 'convcore';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { arch: { type: 'string', default: 'resnet18' } } });
const [weights, ...images] = positionals;
if (!weights || images.length === 0) {
  console.error('usage: node examples/classify-with-pytorch-weights.mjs WEIGHTS.safetensors IMAGE… [--arch resnet18|resnet34|resnet50]');
  process.exit(2);
}
if (!['resnet18', 'resnet34', 'resnet50'].includes(values.arch)) throw new RangeError(`--arch: expected resnet18, resnet34 or resnet50, got ${values.arch}`);

const net = models[values.arch]();
net.loadStateDict((await loadSafetensors(weights)).tensors); // strict: every torchvision name must match
net.eval();
// torchvision's preprocessing: 224 × 224, RGB in [0, 1], normalised per channel.
const MEAN = [0.485, 0.456, 0.406], STD = [0.229, 0.224, 0.225];
for (const file of images) {
  const { tensor } = await imageToTensor(file); // (C, H, W) in [0, 255], C = 3 or 1 (grey)
  const resized = interpolate(tensor.reshape([1, ...tensor.shape]), { size: [224, 224], mode: 'bilinear' });
  const plane = 224 * 224, grey = tensor.shape[0] === 1;
  const normalized = new Float32Array(3 * plane).map((_, i) => {
    const c = Math.floor(i / plane);
    return (resized.data[grey ? i % plane : i] / 255 - MEAN[c]) / STD[c];
  });
  const probabilities = noGrad(() => softmax(net.forward(new resized.constructor(normalized, [1, 3, 224, 224])), 1)).data;
  const top = [...probabilities.keys()].sort((a, b) => probabilities[b] - probabilities[a]).slice(0, 5);
  console.log(`${file}: ${top.map((k) => `class ${k} (${(100 * probabilities[k]).toFixed(1)}%)`).join(', ')}`);
}
