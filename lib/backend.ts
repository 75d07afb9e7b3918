/**
 * Which implementation runs the kernels (convolution, matmul, pooling, element-wise, image): the native addon (default) or the
 * pure-TypeScript reference. Chosen at run time with setBackend() or, at start-up, the
 * CONVCORE_BACKEND environment variable.
 */
import { nativeAddon } from './binding';
import { scratchOf } from './call-scratch';
import { ArgumentRangeError, ArgumentTypeError } from './errors';
import { type ConvGeometry, packGeometry } from './geometry';
import { packCallParams, packParams } from './param-blocks';
import {
  conv2dBackwardBiasReference,
  conv2dBackwardDataReference,
  conv2dBackwardWeightReference,
  conv2dForwardReference,
} from './reference/conv2d';
import {
  conv3dBackwardBiasReference,
  conv3dBackwardDataReference,
  conv3dBackwardWeightReference,
  conv3dForwardReference,
} from './reference/conv3d';
import {
  type ActivationKind, type AdamHyper, type SgdHyper,
  activationBackwardReference, activationReference, adamStepReference, sgdStepReference,
} from './reference/pointwise';
import { type MatmulGeometry, matmulReference } from './reference/matmul';
import {
  type ArgReduceLayout, type ArgReduceOp, type BinaryOp, type ReduceOp, type UnaryOp,
  argReduceReference, binaryBackwardReference, binaryReference, reduceReference, unaryBackwardReference, unaryReference,
  whereBackwardReference, whereReference,
} from './reference/elementwise';
import type { BroadcastLayout, ReduceLayout } from './elementwise-layout';
import {
  type PoolGeometry, avgPool2dBackwardReference, avgPool2dReference, maxPool2dBackwardReference, maxPool2dReference,
} from './reference/pool2d';
import {
  type ChannelAffineTerms, type ChannelLayout,
  channelAffineReference, channelGradSumsReference, channelMomentsReference,
} from './reference/channel-norm';
import {
  type Filter8Call, type FilterBorderCall, type PixelsFromPlanesCall, type PlanesFromPixelsCall, type RestoreAlphaCall,
  filter8Reference, filterBorderReference, magnitudeReference, pixelsFromPlanesReference, planesFromPixelsReference,
  restoreAlphaReference,
} from './reference/image';
import { oneOf } from './validate';

export type BackendName = 'native' | 'reference';
const BACKENDS: readonly BackendName[] = ['native', 'reference'];

/** Gradient outputs a backward call should fill; null means "not wanted". */
export interface BackwardBuffers {
  gradInput: Float32Array | null;
  gradWeight: Float32Array | null;
  gradBias: Float32Array | null;
}

/** The kernel entry points; every call overwrites its outputs. */
export interface Backend {
  readonly name: BackendName;
  forward(g: ConvGeometry, input: Float32Array, weight: Float32Array, bias: Float32Array | null, output: Float32Array): void;
  /** input is read only for gradWeight, weight only for gradInput: either may be null where not read. */
  backward(g: ConvGeometry, input: Float32Array | null, weight: Float32Array | null, gradOutput: Float32Array, out: BackwardBuffers): void;
  forwardAsync(g: ConvGeometry, input: Float32Array, weight: Float32Array, bias: Float32Array | null, output: Float32Array): Promise<void>;
  backwardAsync(g: ConvGeometry, input: Float32Array | null, weight: Float32Array | null, gradOutput: Float32Array, out: BackwardBuffers): Promise<void>;
  matmul(g: MatmulGeometry, a: Float32Array, b: Float32Array, bias: Float32Array | null, c: Float32Array): void;
  maxPool2d(g: PoolGeometry, input: Float32Array, output: Float32Array, indices: Int32Array): void;
  maxPool2dBackward(g: PoolGeometry, gradOutput: Float32Array, indices: Int32Array, gradInput: Float32Array): void;
  avgPool2d(g: PoolGeometry, input: Float32Array, output: Float32Array): void;
  avgPool2dBackward(g: PoolGeometry, gradOutput: Float32Array, gradInput: Float32Array): void;
  activation(kind: ActivationKind, x: Float32Array, y: Float32Array): void;
  activationBackward(kind: ActivationKind, gradOutput: Float32Array, output: Float32Array, gradInput: Float32Array): void;
  sgdStep(h: SgdHyper, weight: Float32Array, grad: Float32Array, momentumBuffer: Float32Array | null): void;
  adamStep(h: AdamHyper, weight: Float32Array, grad: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array): void;
  /** out = x op y over a broadcast layout (lib/elementwise-layout.ts). */
  binary(op: BinaryOp, l: BroadcastLayout, x: Float32Array, y: Float32Array, out: Float32Array): void;
  /** The operands' gradients at the broadcast shape (either may be null: not wanted). */
  binaryBackward(op: BinaryOp, l: BroadcastLayout, g: Float32Array, x: Float32Array, y: Float32Array,
    gx: Float32Array | null, gy: Float32Array | null): void;
  /** out = op(x); `a` is pow's exponent, [a, b] clamp's bounds. */
  unary(op: UnaryOp, a: number, b: number, x: Float32Array, out: Float32Array): void;
  /** gx = op'(x) · g, from x and the saved output y. */
  unaryBackward(op: UnaryOp, a: number, b: number, g: Float32Array, x: Float32Array, y: Float32Array, gx: Float32Array): void;
  /** out = op over the layout's reduced dimensions (a sum scaled by `scale`). */
  reduce(op: ReduceOp, l: ReduceLayout, scale: number, x: Float32Array, out: Float32Array): void;
  /** out = the index of each extreme along the layout's middle dimension, as floats. */
  argReduce(op: ArgReduceOp, l: ArgReduceLayout, x: Float32Array, out: Float32Array): void;
  /** out = condition ≠ 0 ? x : y over a layout with the condition's strides. */
  where(l: BroadcastLayout, condition: Float32Array, x: Float32Array, y: Float32Array, out: Float32Array): void;
  whereBackward(l: BroadcastLayout, condition: Float32Array, g: Float32Array, gx: Float32Array | null, gy: Float32Array | null): void;
  /** Per-channel mean and biased variance over [outer, channels, inner]. */
  channelMoments(l: ChannelLayout, x: Float32Array, mean: Float32Array, variance: Float32Array): void;
  /** Per-channel Σ g and Σ g·(x − mean). */
  channelGradSums(l: ChannelLayout, g: Float32Array, x: Float32Array, mean: Float32Array, sumG: Float32Array, sumGX: Float32Array): void;
  /** out = a[c]·u + b[c]·(v − m[c]) + d[c]. */
  channelAffine(l: ChannelLayout, terms: ChannelAffineTerms, out: Float32Array): void;
  /** The image kernels (lib/image): pixels ↔ planes, the fused 8-bit filter, the alpha channel, borders, magnitude. */
  planesFromPixels(c: PlanesFromPixelsCall, src: Uint8Array, planes: Float32Array | null, alpha: Uint8Array | null): void;
  pixelsFromPlanes(c: PixelsFromPlanesCall, planes: Float32Array, alpha: Uint8Array | null, out: Uint8Array): void;
  filter8(c: Filter8Call, weights: Float32Array, rowMap: Int32Array, colMap: Int32Array, src: Uint8Array, dst: Uint8Array): void;
  restoreAlpha(c: RestoreAlphaCall, src: Uint8Array, dst: Uint8Array): void;
  filterBorder(c: FilterBorderCall, weight: Float32Array, rowMap: Int32Array, colMap: Int32Array, input: Float32Array, output: Float32Array): void;
  /** out = √(gx² + gy²) (out may be gx). */
  magnitude(gx: Float32Array, gy: Float32Array, out: Float32Array): void;
}

// Element-wise calls are synchronous: their layouts go in call-scratch.ts's slots.
const packLayout = (l: BroadcastLayout) => ({
  sizes: scratchOf(0, l.sizes), xStrides: scratchOf(1, l.xStrides), yStrides: scratchOf(2, l.yStrides),
  ...(l.cStrides ? { cStrides: scratchOf(3, l.cStrides) } : {}),
});

/** Parameters up to this many elements get their SGD update without a native call. */
const SMALL_SGD_PARAMETER = 64;

/** native/kernels/pointwise.h's Activation numbers. */
const ACTIVATION_CODES: Record<ActivationKind, number> = { relu: 0, sigmoid: 1, tanh: 2 };

const packMatmul = (g: MatmulGeometry): Float64Array => packCallParams('matmul', g);
const packPool = (g: PoolGeometry): Float64Array => (g.packed ??= packParams('pool', g));

/**
 * The C++ side's own re-checks throw plain TypeErrors and RangeErrors ("convcore native:
 * …"). The TypeScript checks run first, so these only fire when a buffer changed in
 * between (or the TS checks missed something); they become the named classes, so a
 * caller sees one kind of error either way.
 */
export function namedNativeError(error: unknown): unknown {
  if (!(error instanceof Error) || !error.message.startsWith('convcore native:')) return error;
  const named = error instanceof TypeError ? new ArgumentTypeError(error.message) : new ArgumentRangeError(error.message);
  named.stack = `${named.name}: ${error.message}\n${(error.stack ?? '').split('\n').slice(1).join('\n')}`;
  return named;
}

/** `methods` with every synchronous call's native errors renamed (see namedNativeError). */
function withNamedErrors<T extends object>(methods: T): T {
  const wrapped = {} as Record<string, unknown>;
  for (const [key, value] of Object.entries(methods)) {
    if (typeof value !== 'function') {
      wrapped[key] = value;
      continue;
    }
    type Arg = unknown;
    const f = value as (a?: Arg, b?: Arg, c?: Arg, d?: Arg, e?: Arg, f?: Arg, g?: Arg) => unknown;
    if (f.length > 7) throw new Error(`withNamedErrors: ${key} takes more than 7 arguments`);
    // Fixed arity (every backend method takes at most seven): no rest/apply on hot paths.
    wrapped[key] = (a?: Arg, b?: Arg, c?: Arg, d?: Arg, e?: Arg, f6?: Arg, g?: Arg) => {
      try {
        return f(a, b, c, d, e, f6, g);
      } catch (error) {
        throw namedNativeError(error);
      }
    };
  }
  return wrapped as T;
}

const nativeBackend: Backend = withNamedErrors({
  name: 'native',
  // (withNamedErrors wraps these too; the conv calls are the hot ones, so the wrapper
  // is written to cost one function call.)
  forward(g, input, weight, bias, output) {
    nativeAddon().convForward(packGeometry(g), input, weight, bias, output);
  },
  backward(g, input, weight, gradOutput, out) {
    nativeAddon().convBackward(
      packGeometry(g), input, weight, gradOutput, out.gradInput, out.gradWeight, out.gradBias);
  },
  forwardAsync(g, input, weight, bias, output) {
    return withCallerStack(nativeAddon().convForwardAsync(packGeometry(g), input, weight, bias, output));
  },
  backwardAsync(g, input, weight, gradOutput, out) {
    return withCallerStack(nativeAddon().convBackwardAsync(
      packGeometry(g), input, weight, gradOutput, out.gradInput, out.gradWeight, out.gradBias));
  },
  matmul(g, a, b, bias, c) {
    nativeAddon().matmul(packMatmul(g), a, b, bias, c);
  },
  maxPool2d(g, input, output, indices) {
    nativeAddon().maxPool2d(packPool(g), input, output, indices);
  },
  maxPool2dBackward(g, gradOutput, indices, gradInput) {
    nativeAddon().maxPool2dBackward(packPool(g), gradOutput, indices, gradInput);
  },
  avgPool2d(g, input, output) {
    nativeAddon().avgPool2d(packPool(g), input, output);
  },
  avgPool2dBackward(g, gradOutput, gradInput) {
    nativeAddon().avgPool2dBackward(packPool(g), gradOutput, gradInput);
  },
  activation(kind, x, y) {
    nativeAddon().activation(ACTIVATION_CODES[kind], x, y);
  },
  activationBackward(kind, gradOutput, output, gradInput) {
    nativeAddon().activationBackward(ACTIVATION_CODES[kind], gradOutput, output, gradInput);
  },
  sgdStep(h, weight, grad, momentumBuffer) {
    // A native call costs more than the arithmetic of a few dozen weights (the book's
    // layer has two): the reference computes the same bits (float32, operation by
    // operation), so those stay in TypeScript.
    if (weight.length <= SMALL_SGD_PARAMETER) {
      sgdStepReference(h, weight, grad, momentumBuffer);
      return;
    }
    nativeAddon().sgdStep(packCallParams('sgd', h), weight, grad, momentumBuffer);
  },
  adamStep(h, weight, grad, expAvg, expAvgSq) {
    nativeAddon().adamStep(packCallParams('adam', h), weight, grad, expAvg, expAvgSq);
  },
  binary(op, l, x, y, out) {
    nativeAddon().elementwiseBinary({ op, layout: packLayout(l), x, y, out });
  },
  binaryBackward(op, l, g, x, y, gx, gy) {
    nativeAddon().elementwiseBinaryBackward({ op, layout: packLayout(l), gradOutput: g, x, y, gradX: gx, gradY: gy });
  },
  unary(op, a, b, x, out) {
    nativeAddon().elementwiseUnary({ op, a, b, x, out });
  },
  unaryBackward(op, a, b, g, x, y, gx) {
    nativeAddon().elementwiseUnaryBackward({ op, a, b, gradOutput: g, x, output: y, gradInput: gx });
  },
  reduce(op, l, scale, x, out) {
    nativeAddon().reduce({ op, sizes: scratchOf(0, l.sizes), reduced: scratchOf(1, l.reduced), scale, x, out });
  },
  argReduce(op, l, x, out) {
    nativeAddon().argReduce({ op, layout: packCallParams('argReduceLayout', l), x, out });
  },
  where(l, condition, x, y, out) {
    nativeAddon().elementwiseWhere({ layout: packLayout(l), condition, x, y, out });
  },
  whereBackward(l, condition, g, gx, gy) {
    nativeAddon().elementwiseWhereBackward({ layout: packLayout(l), condition, gradOutput: g, gradX: gx, gradY: gy });
  },
  channelMoments(l, x, mean, variance) {
    nativeAddon().channelMoments({ layout: packChannelLayout(l), x, mean, variance });
  },
  channelGradSums(l, g, x, mean, sumG, sumGX) {
    nativeAddon().channelGradSums({ layout: packChannelLayout(l), gradOutput: g, x, mean, sumG, sumGX });
  },
  channelAffine(l, terms, out) {
    nativeAddon().channelAffine({ layout: packChannelLayout(l), ...terms, out });
  },
  planesFromPixels(c, src, planes, alpha) {
    nativeAddon().planesFromPixels(packCallParams('planesFromPixels', c), src, planes ?? new Float32Array(0), alpha);
  },
  pixelsFromPlanes(c, planes, alpha, out) {
    nativeAddon().pixelsFromPlanes(packCallParams('pixelsFromPlanes', c), planes, alpha, out);
  },
  filter8(c, weights, rowMap, colMap, src, dst) {
    nativeAddon().filter8(packCallParams('filter8', c), weights, rowMap, colMap, src, dst);
  },
  restoreAlpha(c, src, dst) {
    nativeAddon().restoreAlpha(packCallParams('restoreAlpha', c), src, dst);
  },
  filterBorder(c, weight, rowMap, colMap, input, output) {
    nativeAddon().filterBorder(packCallParams('filterBorder', c), weight, rowMap, colMap, input, output);
  },
  magnitude(gx, gy, out) {
    nativeAddon().magnitude(gx, gy, out);
  },
});

const packChannelLayout = (l: ChannelLayout) => packCallParams('channelLayout', l);

/** Depth 1: the 2-D reference; otherwise the 3-D one. */
const flat = (g: ConvGeometry) => g.inDepth === 1 && g.kernelDepth === 1 && g.outDepth === 1 && g.padFront === 0;

function referenceForward(g: ConvGeometry, input: Float32Array, weight: Float32Array, bias: Float32Array | null, output: Float32Array) {
  (flat(g) ? conv2dForwardReference : conv3dForwardReference)(g, input, weight, bias, output);
}

function referenceBackward(g: ConvGeometry, input: Float32Array | null, weight: Float32Array | null, gradOutput: Float32Array, out: BackwardBuffers) {
  const two = flat(g);
  if (out.gradInput) (two ? conv2dBackwardDataReference : conv3dBackwardDataReference)(g, gradOutput, weight!, out.gradInput);
  if (out.gradWeight) (two ? conv2dBackwardWeightReference : conv3dBackwardWeightReference)(g, input!, gradOutput, out.gradWeight);
  if (out.gradBias) (two ? conv2dBackwardBiasReference : conv3dBackwardBiasReference)(g, gradOutput, out.gradBias);
}

/**
 * The reference's async calls, with the native ones' snapshot semantics: the inputs are
 * copied when the call is made, the work runs on a later turn of the event loop (the
 * reference has no thread of its own) into private outputs, which are copied into the
 * caller's buffers only if they still have their sizes.
 */
function deferred(outputs: ReadonlyArray<Float32Array | null>, work: (privateOutputs: Array<Float32Array | null>) => void): Promise<void> {
  const lengths = outputs.map((o) => o?.length ?? 0);
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      try {
        const mine = outputs.map((o, i) => (o === null ? null : new Float32Array(lengths[i])));
        work(mine);
        outputs.forEach((o, i) => {
          if (o === null) return;
          if (o.length !== lengths[i]) {
            throw new RangeError(`convcore reference: expected an output to have ${lengths[i]} elements, but it has ${o.length} (it was detached or resized during the call)`);
          }
          o.set(mine[i]!);
        });
        resolve();
      } catch (error) {
        reject(error);
      }
    });
  });
}

const copy = (a: Float32Array | null) => (a === null ? null : a.slice());

const referenceBackend: Backend = {
  name: 'reference',
  forward: referenceForward,
  backward: referenceBackward,
  forwardAsync(g, input, weight, bias, output) {
    const [x, w, b] = [input.slice(), weight.slice(), copy(bias)];
    return deferred([output], ([out]) => referenceForward(g, x, w, b, out!));
  },
  backwardAsync(g, input, weight, gradOutput, out) {
    const [x, w, go] = [copy(input), copy(weight), gradOutput.slice()];
    return deferred([out.gradInput, out.gradWeight, out.gradBias], ([gradInput, gradWeight, gradBias]) =>
      referenceBackward(g, x, w, go, { gradInput, gradWeight, gradBias }));
  },
  matmul: matmulReference,
  maxPool2d: maxPool2dReference,
  maxPool2dBackward: maxPool2dBackwardReference,
  avgPool2d: avgPool2dReference,
  avgPool2dBackward: avgPool2dBackwardReference,
  activation: activationReference,
  activationBackward: activationBackwardReference,
  binary: binaryReference,
  binaryBackward: binaryBackwardReference,
  unary: unaryReference,
  unaryBackward: unaryBackwardReference,
  reduce: reduceReference,
  argReduce: argReduceReference,
  where: whereReference,
  whereBackward: whereBackwardReference,
  channelMoments: channelMomentsReference,
  channelGradSums: channelGradSumsReference,
  channelAffine: channelAffineReference,
  sgdStep: sgdStepReference,
  adamStep: adamStepReference,
  planesFromPixels: planesFromPixelsReference,
  pixelsFromPlanes: pixelsFromPlanesReference,
  filter8: filter8Reference,
  restoreAlpha: restoreAlphaReference,
  filterBorder: filterBorderReference,
  magnitude: magnitudeReference,
};

/** Native errors come back from another thread without a JS stack; give them the caller's. */
async function withCallerStack(promise: Promise<void>): Promise<void> {
  const caller = new Error();
  try {
    await promise;
  } catch (raw) {
    const error = namedNativeError(raw);
    if (error instanceof Error && caller.stack) {
      error.stack = `${error.name}: ${error.message}\n${caller.stack.split('\n').slice(1).join('\n')}`;
    }
    throw error;
  }
}

let current: Backend = initialBackend();

function initialBackend(): Backend {
  const fromEnv = process.env.CONVCORE_BACKEND;
  if (fromEnv === undefined || fromEnv === '') return nativeBackend;
  return oneOf('CONVCORE_BACKEND', 'the environment variable', fromEnv, BACKENDS) === 'native'
    ? nativeBackend
    : referenceBackend;
}

/** Selects the kernels used from now on: 'native' (the C++ addon) or 'reference' (pure TS). */
export function setBackend(name: BackendName): void {
  current = oneOf('setBackend', 'name', name, BACKENDS) === 'native' ? nativeBackend : referenceBackend;
}

export function getBackend(): BackendName {
  return current.name;
}

/** @internal The active kernels. */
export function backend(): Backend {
  return current;
}

/** @internal The reference kernels (exact element-wise ops on small tensors run there). */
export function referenceKernels(): Backend {
  return referenceBackend;
}
