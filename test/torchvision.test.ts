// models.resnet18/50 against torchvision (issue 17): a torchvision ResNet's state dict,
// saved as safetensors by test/fixtures/torchvision-resnet.py (random weights and
// BatchNorm statistics), loads into ours with strict names, and gives PyTorch's logits in
// evaluation and in training mode (batch statistics), with PyTorch's running statistics
// after that training-mode forward. Needs Python with torch and torchvision (.ci/run
// installs Debian's python3-torchvision); without them the test reports itself skipped.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Tensor, models, noGrad, parseSafetensors } from '../lib/index';
import { expectClose } from './helpers';

const SCRIPT = path.join(__dirname, 'fixtures', 'torchvision-resnet.py');
const python = ['/usr/bin/python3', 'python3'].find((p) => spawnSync(p, ['-c', 'import torch, torchvision']).status === 0);
if (!python) console.warn('torchvision.test.ts: SKIPPED, no Python with torch and torchvision (apt-get install python3-torchvision)');

describe.skipIf(!python)('models against torchvision', () => {
  it.each(['resnet18', 'resnet50'] as const)('%s: strict state dict, logits and running statistics as PyTorch', (arch) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convcore-torchvision-'));
    try {
      const file = path.join(dir, `${arch}.safetensors`);
      const run = spawnSync(python!, [SCRIPT, arch, file], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const { tensors } = parseSafetensors(fs.readFileSync(file));
      const part = (prefix: string) => Object.fromEntries(Object.entries(tensors).filter(([k]) => k.startsWith(prefix))
        .map(([k, v]) => [k.slice(prefix.length), v])) as Record<string, Tensor>;
      const model = models[arch]({ numClasses: 10 });
      model.loadStateDict(part('model.')); // strict: every name matches torchvision's
      expect(model.namedBuffers().find(([k]) => k === 'bn1.num_batches_tracked')![1].item()).toBe(3);

      model.eval();
      const evalLogits = noGrad(() => model.forward(tensors.input));
      expectClose(evalLogits.data, tensors.eval_logits.data, { atol: 1e-4, rtol: 1e-3, what: 'eval logits' });
      model.train();
      const trainLogits = noGrad(() => model.forward(tensors.input));
      expectClose(trainLogits.data, tensors.train_logits.data, { atol: 1e-4, rtol: 1e-3, what: 'train logits' });
      const after = part('after.');
      const buffers = new Map(model.namedBuffers());
      expect(new Set(Object.keys(after))).toEqual(new Set(buffers.keys()));
      // Deep layers' statistics carry the float32 rounding of the 50 layers before them,
      // as the logits do: compared to 1e-3 of each buffer's largest value.
      for (const [name, expected] of Object.entries(after)) {
        const scale = expected.data.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expectClose(buffers.get(name)!.data, expected.data, { atol: 1e-3 * scale, rtol: 0, what: name });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
