/**
 * Which implementation runs the convolution kernels: the native addon (default) or the
 * pure-TypeScript reference. Chosen at run time with setBackend() or, at start-up, the
 * CONVCORE_BACKEND environment variable.
 */
import { nativeAddon } from './binding';
import { type ConvGeometry, packGeometry } from './geometry';
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
export interface ConvBackend {
  readonly name: BackendName;
  forward(g: ConvGeometry, input: Float32Array, weight: Float32Array, bias: Float32Array | null, output: Float32Array): void;
  backward(g: ConvGeometry, input: Float32Array, weight: Float32Array, gradOutput: Float32Array, out: BackwardBuffers): void;
  forwardAsync(g: ConvGeometry, input: Float32Array, weight: Float32Array, bias: Float32Array | null, output: Float32Array): Promise<void>;
  backwardAsync(g: ConvGeometry, input: Float32Array, weight: Float32Array, gradOutput: Float32Array, out: BackwardBuffers): Promise<void>;
}

const nativeBackend: ConvBackend = {
  name: 'native',
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
};

/** Depth 1: the 2-D reference; otherwise the 3-D one. */
const flat = (g: ConvGeometry) => g.inDepth === 1 && g.kernelDepth === 1 && g.outDepth === 1 && g.padFront === 0;

function referenceForward(g: ConvGeometry, input: Float32Array, weight: Float32Array, bias: Float32Array | null, output: Float32Array) {
  (flat(g) ? conv2dForwardReference : conv3dForwardReference)(g, input, weight, bias, output);
}

function referenceBackward(g: ConvGeometry, input: Float32Array, weight: Float32Array, gradOutput: Float32Array, out: BackwardBuffers) {
  const two = flat(g);
  if (out.gradInput) (two ? conv2dBackwardDataReference : conv3dBackwardDataReference)(g, gradOutput, weight, out.gradInput);
  if (out.gradWeight) (two ? conv2dBackwardWeightReference : conv3dBackwardWeightReference)(g, input, gradOutput, out.gradWeight);
  if (out.gradBias) (two ? conv2dBackwardBiasReference : conv3dBackwardBiasReference)(g, gradOutput, out.gradBias);
}

/** Runs `work` on a later turn of the event loop (the reference has no thread of its own). */
function deferred(work: () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      try {
        work();
        resolve();
      } catch (error) {
        reject(error);
      }
    });
  });
}

const referenceBackend: ConvBackend = {
  name: 'reference',
  forward: referenceForward,
  backward: referenceBackward,
  forwardAsync: (...args) => deferred(() => referenceForward(...args)),
  backwardAsync: (...args) => deferred(() => referenceBackward(...args)),
};

/** Native errors come back from another thread without a JS stack; give them the caller's. */
async function withCallerStack(promise: Promise<void>): Promise<void> {
  const caller = new Error();
  try {
    await promise;
  } catch (error) {
    if (error instanceof Error && caller.stack) {
      error.stack = `${error.name}: ${error.message}\n${caller.stack.split('\n').slice(1).join('\n')}`;
    }
    throw error;
  }
}

let current: ConvBackend = initialBackend();

function initialBackend(): ConvBackend {
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
export function backend(): ConvBackend {
  return current;
}
