// Property-based fuzzing of the public API (fast-check), run as its own process so
// that a crash (a signal, an abort) is seen by whoever started it, with the seed.
//   node test/fuzz/fuzz.mjs [--runs 10000] [--seed S]      (npm run fuzz -- --runs N)
// 1. Random valid convolutions (1-, 2-, 3-D, every option) and training ops: native
//    equals the pure-TS reference, forward and every gradient.
// 2. Random calls with wrong arguments (ranks, shapes, option types and ranges, NaN,
//    Infinity, huge sizes, detached and resized buffers, SharedArrayBuffers, odd byte
//    offsets): each either works or throws one of convcore's named errors.
import fc from 'fast-check';
import { parseArgs } from 'node:util';
import * as cc from '../../dist/index.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10000' }, seed: { type: 'string' } } });
const runs = Number(values.runs);
const seed = values.seed === undefined ? (Date.now() ^ (Math.random() * 2 ** 31)) >>> 0 : Number(values.seed);
console.log(`fuzz: seed ${seed}, ${runs} runs each of the invalid-call and one-wrong properties, ${Math.ceil(runs / 4)} of the parity property`);

// NativeBindingError is not among them: the addon must load.
const NAMED = [cc.ArgumentTypeError, cc.ArgumentRangeError, cc.ShapeError, cc.UnknownOptionError, cc.AutogradError];
const isNamed = (error) => NAMED.some((E) => error instanceof E);

// ---- 1. parity ----------------------------------------------------------------------------
const close = (a, b) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) <= 1e-4 + 1e-4 * Math.abs(b[i]));

const convCase = fc.record({
  rank: fc.constantFrom(1, 2, 2, 3),
  batch: fc.integer({ min: 1, max: 2 }),
  groups: fc.constantFrom(1, 1, 2, 3),
  cg: fc.integer({ min: 1, max: 3 }),
  og: fc.integer({ min: 1, max: 3 }),
  size: fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 3, maxLength: 3 }),
  kernel: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 3, maxLength: 3 }),
  stride: fc.integer({ min: 1, max: 3 }),
  dilation: fc.integer({ min: 1, max: 2 }),
  padding: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constantFrom('same', 'valid')),
  paddingMode: fc.constantFrom('zeros', 'zeros', 'reflect', 'replicate', 'circular'),
  bias: fc.boolean(),
  dataSeed: fc.integer({ min: 0, max: 1e6 }),
});

function runConv(c, backend) {
  cc.setBackend(backend);
  try {
    const fn = { 1: cc.conv1d, 2: cc.conv2d, 3: cc.conv3d }[c.rank];
    const backwardFn = { 1: cc.conv1dBackward, 2: cc.conv2dBackward, 3: cc.conv3dBackward }[c.rank];
    const spatial = c.size.slice(0, c.rank), kernel = c.kernel.slice(0, c.rank);
    const x = cc.Tensor.randn([c.batch, c.cg * c.groups, ...spatial], { seed: c.dataSeed });
    const w = cc.Tensor.randn([c.og * c.groups, c.cg, ...kernel], { seed: c.dataSeed + 1 });
    const b = c.bias ? cc.Tensor.randn([c.og * c.groups], { seed: c.dataSeed + 2 }) : null;
    const options = { stride: c.stride, dilation: c.dilation, padding: c.padding, paddingMode: c.paddingMode, groups: c.groups };
    const y = fn(x, w, b, options);
    const g = cc.Tensor.randn([...y.shape], { seed: c.dataSeed + 3 });
    const grads = backwardFn(x, w, g, options);
    return [y.data, grads.gradInput.data, grads.gradWeight.data, grads.gradBias.data];
  } finally {
    cc.setBackend('native');
  }
}

let compared = 0;
const parity = fc.property(convCase, (c) => {
  trace(`parity: ${JSON.stringify(c)}`);
  let native;
  try {
    native = runConv(c, 'native');
  } catch (error) {
    if (!isNamed(error)) throw error;  // an invalid draw (e.g. a kernel larger than the input)
    expect(() => runConv(c, 'reference'), 'the reference rejects it too');
    return;
  }
  compared++;
  const reference = runConv(c, 'reference');
  native.forEach((d, i) => { if (!close(d, reference[i])) throw new Error(`output ${i} differs from the reference`); });
});

function expect(fn, what) {
  try {
    fn();
  } catch (error) {
    if (isNamed(error)) return;
    throw error;
  }
  throw new Error(`${what}: expected a named error`);
}

// ---- 2. invalid calls -----------------------------------------------------------------------
const huge = fc.constantFrom(2 ** 31, 2 ** 40, 2 ** 53, 2 ** 53 + 2, 1e300);
const weird = fc.constantFrom(NaN, Infinity, -Infinity, -1, -0, 0, 0.5, 1.5, -3);
const smallDim = fc.integer({ min: 0, max: 6 });
const dim = fc.oneof({ weight: 12, arbitrary: smallDim }, { weight: 1, arbitrary: huge }, { weight: 1, arbitrary: weird });
const shape = fc.array(dim, { minLength: 0, maxLength: 5 });
const goodShape = fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 5 });

/** Tensors, sound or broken in every way the fuzz knows. */
const tensor = fc.tuple(goodShape, fc.constantFrom('plain', 'plain', 'plain', 'shared', 'offset', 'detached', 'shrunk', 'resizable'), fc.integer())
  .map(([s, kind, n]) => {
    const size = s.reduce((a, b) => a * b, 1);
    let data;
    if (kind === 'shared') data = new Float32Array(new SharedArrayBuffer(size * 4));
    else if (kind === 'offset') data = new Float32Array(new ArrayBuffer(size * 4 + 12), 4, size);  // not 16-byte aligned
    else if (kind === 'resizable' || kind === 'shrunk') data = new Float32Array(new ArrayBuffer(size * 4, { maxByteLength: size * 4 + 64 }));
    else data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = ((n + i * 7919) % 13) / 7 - 0.9;
    const t = new cc.Tensor(data, s);
    if (kind === 'detached') structuredClone(data.buffer, { transfer: [data.buffer] });
    if (kind === 'shrunk') data.buffer.resize(Math.max(0, size * 4 - 4));
    return t;
  });

const scalar = fc.oneof(smallDim, huge, weird, fc.string({ maxLength: 4 }), fc.boolean(), fc.constant(null), fc.constant(undefined));
const optionKey = fc.constantFrom('stride', 'padding', 'dilation', 'groups', 'paddingMode', 'bias', 'out', 'reduction', 'ceilMode',
  'countIncludePad', 'lr', 'momentum', 'batchSize', 'shuffle', 'seed', 'strides', 'pad', 'compute', 'requiresGrad', '__proto__x');
const optionValue = fc.oneof(scalar, fc.array(scalar, { maxLength: 4 }), fc.constantFrom('same', 'valid', 'reflect', 'zeros', 'mean', 'bogus'), tensor);
const options = fc.oneof(fc.constant(undefined), fc.dictionary(optionKey, optionValue, { maxKeys: 3 }), scalar, tensor);
const anything = fc.oneof({ weight: 4, arbitrary: tensor }, { weight: 2, arbitrary: scalar }, { weight: 1, arbitrary: shape },
  { weight: 1, arbitrary: fc.constantFrom(new Float64Array(4), new Int32Array(4), [[1, 2], [3]], {}, () => 0) });

const CALLS = {
  conv1d: (a) => cc.conv1d(a[0], a[1], a[2], a[3]),
  conv2d: (a) => cc.conv2d(a[0], a[1], a[2], a[3]),
  conv3d: (a) => cc.conv3d(a[0], a[1], a[2], a[3]),
  conv2dBackward: (a) => cc.conv2dBackward(a[0], a[1], a[2], a[3]),
  conv2dAsync: (a) => cc.conv2dAsync(a[0], a[1], a[2], a[3]),
  conv2dBackwardAsync: (a) => cc.conv2dBackwardAsync(a[0], a[1], a[2], a[3]),
  corr2d: (a) => cc.corr2d(a[0], a[1]),
  conv2dAsDense: (a) => cc.conv2dAsDense(a[0], a[1], a[3]),
  linear: (a) => cc.linear(a[0], a[1], a[2]),
  matmul: (a) => cc.matmul(a[0], a[1]),
  maxPool2d: (a) => cc.maxPool2d(a[0], a[1], a[3]),
  avgPool2d: (a) => cc.avgPool2d(a[0], a[1], a[3]),
  relu: (a) => cc.relu(a[0]),
  logSoftmax: (a) => cc.logSoftmax(a[0], a[1]),
  crossEntropy: (a) => cc.crossEntropy(a[0], a[1], a[3]),
  mseLoss: (a) => cc.mseLoss(a[0], a[1], a[3]),
  add: (a) => (a[0] instanceof cc.Tensor ? a[0].add(a[1]) : cc.Tensor.zeros(a[0])),
  tensor: (a) => new cc.Tensor(a[0], a[1], a[3]),
  zeros: (a) => cc.Tensor.zeros(a[0], a[3]),
  reshape: (a) => (a[0] instanceof cc.Tensor ? a[0].reshape(a[1]) : cc.Tensor.ones(a[1])),
  Conv2D: (a) => new cc.Conv2D(a[0], a[1], a[2], a[3]),
  Linear: (a) => new cc.Linear(a[0], a[1], a[3]),
  MaxPool2d: (a) => new cc.MaxPool2d(a[0], a[3]),
  SGD: (a) => new cc.SGD(a[0], a[3]),
  Adam: (a) => new cc.Adam(a[0], a[3]),
  DataLoader: (a) => new cc.DataLoader(a[0], a[1], a[3]),
  backward: (a) => (a[0] instanceof cc.Tensor ? a[0].backward(a[1]) : undefined),
};

/** How the calls ended, by function: a summary that shows the fuzz reaches past the first check. */
const outcomes = {};
const count = (name, how) => { (outcomes[name] ??= { worked: 0, refused: 0 })[how]++; };

// FUZZ_TRACE=1 prints each call before it runs (to find the one a crash interrupted).
const trace = process.env.FUZZ_TRACE ? (line) => process.stderr.write(line + '\n') : () => {};
const show = (v) => (v instanceof cc.Tensor ? `Tensor[${v.shape}](${v.data.length}${v.data.buffer instanceof SharedArrayBuffer ? ', shared' : ''})`
  : typeof v === 'function' ? 'fn' : (() => { try { return JSON.stringify(v, (k, x) => (x instanceof cc.Tensor ? show(x) : typeof x === 'number' && !Number.isFinite(x) ? String(x) : x)); } catch { return String(v); } })());

const invalid = fc.asyncProperty(fc.constantFrom(...Object.keys(CALLS)), fc.tuple(anything, anything, anything, options), async (name, args) => {
  trace(`${name}(${args.map(show).join(', ')})`);
  try {
    const result = CALLS[name](args);
    if (result instanceof Promise) await result;
    count(name, 'worked');
  } catch (error) {
    if (isNamed(error)) return count(name, 'refused');
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    throw new Error(`${name} threw something other than a named convcore error: ${text}`);
  }
});

// 3. A valid call with one thing wrong: deeper than the first check.
const corrupt = fc.tuple(convCase, fc.constantFrom('option', 'input', 'weight', 'bias', 'rank', 'channels'), optionKey, optionValue,
  fc.constantFrom('detached', 'shrunk', 'float64', 'nan-shape')).map(([c, what, key, value, damage]) => ({ c, what, key, value, damage }));

function damaged(t, how) {
  if (how === 'float64') return new Float64Array(t.data);
  if (how === 'nan-shape') return { shape: [NaN], data: t.data };
  const copy = new cc.Tensor(new Float32Array(new ArrayBuffer(t.size * 4, { maxByteLength: t.size * 4 })), t.shape);
  copy.data.set(t.data);
  if (how === 'detached') structuredClone(copy.data.buffer, { transfer: [copy.data.buffer] });
  else copy.data.buffer.resize(Math.max(0, t.size * 4 - 4));
  return copy;
}

const oneWrong = fc.asyncProperty(corrupt, async ({ c, what, key, value, damage }) => {
  trace(`one wrong: ${JSON.stringify(c)} ${what} ${what === 'option' ? `${key}=${show(value)}` : damage}`);
  const fn = { 1: cc.conv1dAsync, 2: cc.conv2d, 3: cc.conv3d }[c.rank];
  let x = cc.Tensor.randn([c.batch, c.cg * c.groups, ...c.size.slice(0, c.rank)], { seed: c.dataSeed });
  let w = cc.Tensor.randn([c.og * c.groups, c.cg, ...c.kernel.slice(0, c.rank)], { seed: c.dataSeed + 1 });
  let b = cc.Tensor.randn([c.og * c.groups], { seed: c.dataSeed + 2 });
  const options = { stride: c.stride, dilation: c.dilation, padding: c.padding, paddingMode: c.paddingMode, groups: c.groups };
  if (what === 'option') options[key] = value;
  if (what === 'input') x = damaged(x, damage);
  if (what === 'weight') w = damaged(w, damage);
  if (what === 'bias') b = damaged(b, damage);
  if (what === 'rank') x = x.reshape([x.size]);
  if (what === 'channels') w = cc.Tensor.randn([c.og * c.groups, c.cg + 1, ...c.kernel.slice(0, c.rank)], { seed: 1 });
  try {
    const y = await fn(x, w, b, options);
    count(`conv${c.rank}d, one wrong`, 'worked');
    if (!(y instanceof cc.Tensor) || y.data.some((v) => !Number.isFinite(v))) throw new Error('a call that worked gave a non-finite or missing result');
  } catch (error) {
    if (isNamed(error)) return count(`conv${c.rank}d, one wrong`, 'refused');
    throw new Error(`conv${c.rank}d with a wrong ${what} (${what === 'option' ? key : damage}) threw ${error instanceof Error ? `${error.name}: ${error.message}` : error}`);
  }
});

const started = performance.now();
await fc.assert(invalid, { numRuns: runs, seed, verbose: 1 });
await fc.assert(oneWrong, { numRuns: runs, seed: seed + 2, verbose: 1 });
console.log(`invalid calls: ${runs} passed (${((performance.now() - started) / 1000).toFixed(1)} s); worked/refused: ` +
  Object.entries(outcomes).map(([n, o]) => `${n} ${o.worked}/${o.refused}`).join(', '));
const parityStart = performance.now();
fc.assert(parity, { numRuns: Math.ceil(runs / 4), seed: seed + 1, verbose: 1 });
console.log(`parity: ${Math.ceil(runs / 4)} passed, ${compared} of them valid and compared (${((performance.now() - parityStart) / 1000).toFixed(1)} s)`);
