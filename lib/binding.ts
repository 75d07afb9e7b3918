/**
 * Finds and loads the native addon: a local build (build/Release) if there is one, else
 * the prebuilt binary shipped in prebuilds/<platform>-<arch>/. Loading is lazy, so that
 * the reference backend works even where no binary loads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import load from 'node-gyp-build';
import { NativeBindingError } from './errors';
import { applyCacheLimit } from './memory-cache';

/**
 * The addon's exports (native/addon.cc, one file per domain in native/bindings/):
 * convolutions of any rank described by the conv parameter block, layers, optimiser
 * steps, image kernels, element-wise ops. Buffers are checked again on the C++ side.
 */
export interface NativeAddon {
  convForward(
    params: Float64Array, input: Float32Array, weight: Float32Array,
    bias: Float32Array | null, output: Float32Array,
  ): void;
  convBackward(
    params: Float64Array, input: Float32Array | null, weight: Float32Array | null,
    gradOutput: Float32Array, gradInput: Float32Array | null,
    gradWeight: Float32Array | null, gradBias: Float32Array | null,
  ): void;
  convForwardAsync(
    params: Float64Array, input: Float32Array, weight: Float32Array,
    bias: Float32Array | null, output: Float32Array,
  ): Promise<void>;
  convBackwardAsync(
    params: Float64Array, input: Float32Array | null, weight: Float32Array | null,
    gradOutput: Float32Array, gradInput: Float32Array | null,
    gradWeight: Float32Array | null, gradBias: Float32Array | null,
  ): Promise<void>;
  /** (m, n, k, transA, transB, accumulate): C (m×n) = op(A)·op(B) [+ C] [+ bias]. */
  matmul(params: Float64Array, a: Float32Array, b: Float32Array, bias: Float32Array | null, c: Float32Array): void;
  maxPool2d(params: Float64Array, input: Float32Array, output: Float32Array, indices: Int32Array): void;
  maxPool2dBackward(params: Float64Array, gradOutput: Float32Array, indices: Int32Array, gradInput: Float32Array): void;
  avgPool2d(params: Float64Array, input: Float32Array, output: Float32Array): void;
  avgPool2dBackward(params: Float64Array, gradOutput: Float32Array, gradInput: Float32Array): void;
  /** kind 0 relu, 1 sigmoid, 2 tanh */
  activation(kind: number, x: Float32Array, y: Float32Array): void;
  activationBackward(kind: number, gradOutput: Float32Array, output: Float32Array, gradInput: Float32Array): void;
  sgdStep(params: Float64Array, weight: Float32Array, grad: Float32Array, momentumBuffer: Float32Array | null): void;
  adamStep(params: Float64Array, weight: Float32Array, grad: Float32Array, expAvg: Float32Array, expAvgSq: Float32Array): void;
  /** params [pixels, channels, colour, alphaChannel (−1: none)]: interleaved bytes → colour planes (+ alpha bytes). */
  planesFromPixels(params: Float64Array, pixels: Uint8Array, planes: Float32Array, alpha: Uint8Array | null): void;
  /** params [pixels, colour, abs, offset, round]: planes (+ alpha) → interleaved bytes. */
  pixelsFromPlanes(params: Float64Array, planes: Float32Array, alpha: Uint8Array | null, pixels: Uint8Array): void;
  magnitude(gx: Float32Array, gy: Float32Array, out: Float32Array): void;
  /** params [height, rowElements, channels, kernelHeight, kernelWidth, padTop, padLeftPixels, abs, offset]. */
  filter8(params: Float64Array, weights: Float32Array, rowMap: Int32Array, colMap: Int32Array, src: Uint8Array, dst: Uint8Array): void;
  /** params [pixels, channels]: the last channel of destination copied from source. */
  restoreAlpha(params: Float64Array, source: Uint8Array, destination: Uint8Array): void;
  /** params [planes, height, width, kernelHeight, kernelWidth, padTop, padLeft]. */
  filterBorder(params: Float64Array, weight: Float32Array, rowMap: Int32Array, colMap: Int32Array, input: Float32Array, output: Float32Array): void;
  /** Element-wise ops: one object of named fields each (native/elementwise_args.h). */
  elementwiseBinary(call: { op: string; layout: PackedLayout; x: Float32Array; y: Float32Array; out: Float32Array }): void;
  elementwiseBinaryBackward(call: {
    op: string; layout: PackedLayout; gradOutput: Float32Array; x: Float32Array; y: Float32Array;
    gradX: Float32Array | null; gradY: Float32Array | null;
  }): void;
  elementwiseUnary(call: { op: string; a: number; b: number; x: Float32Array; out: Float32Array }): void;
  elementwiseUnaryBackward(call: {
    op: string; a: number; b: number; gradOutput: Float32Array; x: Float32Array; output: Float32Array; gradInput: Float32Array;
  }): void;
  reduce(call: { op: string; sizes: Float64Array; reduced: Float64Array; scale: number; x: Float32Array; out: Float32Array }): void;
  /** layout: the argReduceLayout block [outer, length, inner]. */
  argReduce(call: { op: string; layout: Float64Array; x: Float32Array; out: Float32Array }): void;
  elementwiseWhere(call: { layout: PackedLayout; condition: Float32Array; x: Float32Array; y: Float32Array; out: Float32Array }): void;
  elementwiseWhereBackward(call: {
    layout: PackedLayout; condition: Float32Array; gradOutput: Float32Array; gradX: Float32Array | null; gradY: Float32Array | null;
  }): void;
  /** Per-channel kernels over layout [outer, channels, inner] (native/kernels/channel_norm.h). */
  channelMoments(call: { layout: Float64Array; x: Float32Array; mean: Float32Array; variance: Float32Array }): void;
  channelGradSums(call: {
    layout: Float64Array; gradOutput: Float32Array; x: Float32Array; mean: Float32Array; sumG: Float32Array; sumGX: Float32Array;
  }): void;
  channelAffine(call: {
    layout: Float64Array; u?: Float32Array; a?: Float32Array; v?: Float32Array; b?: Float32Array; m?: Float32Array;
    d: Float32Array; out: Float32Array;
  }): void;
  setNumThreads(threads: number): void;
  getNumThreads(): number;
  isa(): string;
  /** Whether the core runs 512-bit FMAs as two 256-bit halves (AMD Zen 4): native/kernels/cpu_features.h. */
  splitsAvx512(): boolean;
  /** Whether the C library's allocator took the limit (glibc): native/malloc_cache.h. */
  setMallocCacheLimit(bytes: number): boolean;
  releaseMallocCache(): boolean;
  /** Bytes from the buffer's start to its first 64-byte boundary. */
  alignmentShift(buffer: ArrayBuffer): number;
  /** Each parameter block's field names in packed order (native/param_blocks.h; packed by param-blocks.ts). */
  paramBlocks: Record<string, readonly string[]>;
}

/** A broadcast layout as the addon reads it. */
export interface PackedLayout {
  sizes: Float64Array;
  xStrides: Float64Array;
  yStrides: Float64Array;
  cStrides?: Float64Array;
}

/** The package root: lib/.. when run from source, dist/.. when installed. */
export const packageRoot = path.resolve(__dirname, '..');

let addon: NativeAddon | null = null;

/** The addon if it has been loaded, else null (never loads it). */
export function loadedAddon(): NativeAddon | null {
  return addon;
}

export function nativeAddon(): NativeAddon {
  if (addon === null) {
    addon = loadAddon();
    applyCacheLimit(addon);
  }
  return addon;
}

/** The platforms the package holds prebuilt binaries for, in words. */
function shippedPrebuilds(): string {
  const platforms = fs.existsSync(path.join(packageRoot, 'prebuilds')) ? fs.readdirSync(path.join(packageRoot, 'prebuilds')) : [];
  return platforms.length > 0 ? platforms.sort().join(', ') : 'none in this copy';
}

/** The C library this process runs on, as Node reports it ("glibc 2.36"), or null. */
function runtimeLibc(): string | null {
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  return header?.glibcVersionRuntime ? `glibc ${header.glibcVersionRuntime}` : null;
}

/**
 * Why a binary that was found could not be loaded, where the loader's message tells: a
 * library version this system lacks (an older glibc or libstdc++ than the binary needs),
 * or a binary for another platform.
 */
function whyNotLoaded(message: string, libc: string | null): string | null {
  const version = /version [`']((GLIBC|GLIBCXX|CXXABI)_[\d.]+)' not found/.exec(message);
  if (version) {
    const library = version[2] === 'GLIBC' ? `glibc (this system has ${libc ?? 'an unknown version'})` : 'libstdc++';
    return `The binary needs ${version[1]}, newer than this system's ${library}: build one for this system.`;
  }
  if (/invalid ELF header|wrong ELF class|not a valid Win32 application|wrong architecture|mach-o/i.test(message)) {
    return `The binary was built for another platform than ${process.platform}-${process.arch}.`;
  }
  return null;
}

function loadAddon(): NativeAddon {
  try {
    return load(packageRoot) as NativeAddon;
  } catch (cause) {
    const platform = `${process.platform}-${process.arch}`;
    const searched = [
      path.join(packageRoot, 'build', 'Release'),
      path.join(packageRoot, 'build', 'Debug'),
      path.join(packageRoot, 'prebuilds', platform),
    ];
    const message = cause instanceof Error ? cause.message : String(cause);
    const libc = runtimeLibc();
    const why = whyNotLoaded(message, libc);
    throw new NativeBindingError(
      [
        `Could not load the convcore native addon for ${platform} ` +
          `(Node.js ${process.version}, N-API ${process.versions.napi}${libc ? `, ${libc}` : ''}).`,
        `Searched: ${searched.join(', ')}`,
        `Cause: ${message.split('\n')[0]}`,
        ...(why ? [why] : []),
        'Possible solutions:',
        '- Build it from source for this system (needs Python 3, make and a C++17 compiler): npm rebuild convcore --build-from-source',
        `- Reinstall the package: npm install convcore (its prebuilt binaries: ${shippedPrebuilds()}).`,
        '- Point CONVCORE_PREBUILD at a directory holding build/Release/convcore.node (or prebuilds/) built for this platform.',
        "- Use the pure-TypeScript kernels (much slower): setBackend('reference') or CONVCORE_BACKEND=reference.",
      ].join('\n'),
      { cause },
    );
  }
}
