// TensorFlow.js peers (its WASM and pure-JS CPU backends), NHWC as tfjs wants it; the
// layout conversion happens outside the timed region (random data: only speed counts).
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { dims, outputSize } from './measure.mjs';

const require = createRequire(import.meta.url);

export async function loadTfjs() {
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-backend-cpu');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const dist = path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
  wasm.setWasmPaths(dist + path.sep);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  return tf;
}

/** The three passes through tfjs kernels on `backendName`, or a reason each cannot run. */
export async function tfjsCalls(tf, backendName, s) {
  await tf.setBackend(backendName);
  await tf.ready();
  const { rank } = dims(s);
  if (rank === 1) return tfjsCalls(tf, backendName, { ...s, rank: 2, H: 1, W: s.L, kh: 1, kw: s.k, padH: 0 }); // tfjs runs conv1d as conv2d
  if (rank === 3) return conv3dCalls(tf, backendName, s);
  const [oh, ow] = outputSize(s);
  const depthwise = s.groups > 1;
  if (depthwise && s.groups !== s.C) return null;
  const x = tf.randomNormal([s.N, s.H, s.W, s.C]);
  const filter = depthwise ? tf.randomNormal([s.kh, s.kw, s.C, s.O / s.C]) : tf.randomNormal([s.kh, s.kw, s.C, s.O]);
  const dy = tf.randomNormal([s.N, oh, ow, s.O]);
  const strides = [s.stride, s.stride];
  // tfjs 4.22 gets the output width wrong for a numeric pad with non-square kernels.
  const pad = s.pad === 0 ? 'valid' : s.padH === 0 ? [[0, 0], [0, 0], [s.pad, s.pad], [0, 0]] : s.pad;
  const engine = tf.engine();
  const run = (kernel, inputs, attrs) => () => {
    const out = engine.runKernel(kernel, inputs, attrs);
    out.dispose();
  };
  const common = { strides, pad, dimRoundingMode: undefined, dilations: [1, 1] };
  const calls = depthwise
    ? {
        fwd: () => tf.depthwiseConv2d(x, filter, strides, pad).dispose(),
        bwd_data: run('DepthwiseConv2dNativeBackpropInput', { dy, filter }, { ...common, inputShape: x.shape }),
        bwd_weight: run('DepthwiseConv2dNativeBackpropFilter', { x, dy }, { ...common, filterShape: filter.shape }),
      }
    : {
        fwd: () => tf.conv2d(x, filter, strides, pad).dispose(),
        bwd_data: run('Conv2DBackpropInput', { dy, filter }, { ...common, dataFormat: 'NHWC', inputShape: x.shape }),
        bwd_weight: run('Conv2DBackpropFilter', { x, dy }, { ...common, dataFormat: 'NHWC', filterShape: filter.shape }),
      };
  const kernels = depthwise
    ? { fwd: 'DepthwiseConv2dNative', bwd_data: 'DepthwiseConv2dNativeBackpropInput', bwd_weight: 'DepthwiseConv2dNativeBackpropFilter' }
    : { fwd: 'Conv2D', bwd_data: 'Conv2DBackpropInput', bwd_weight: 'Conv2DBackpropFilter' };
  for (const pass of Object.keys(kernels)) {
    if (tf.getKernel(kernels[pass], backendName) === undefined) calls[pass] = null; // no kernel
  }
  calls.dispose = () => tf.dispose([x, filter, dy]);
  return calls;
}

/** conv3d through tfjs (NDHWC); tfjs takes only 'same' or 'valid' padding there. */
function conv3dCalls(tf, backendName, s) {
  const out = outputSize(s);
  const same = out.every((o, i) => o === dims(s).spatial[i]);
  if (s.stride !== 1 || (!same && s.pad !== 0)) return null;
  const pad = same ? 'same' : 'valid';
  const x = tf.randomNormal([s.N, s.D, s.H, s.W, s.C]);
  const filter = tf.randomNormal([s.k, s.k, s.k, s.C, s.O]);
  const dy = tf.randomNormal([s.N, ...out, s.O]);
  const strides = [1, 1, 1];
  const engine = tf.engine();
  const has = (kernel) => tf.getKernel(kernel, backendName) !== undefined;
  return {
    fwd: has('Conv3D') ? () => tf.conv3d(x, filter, strides, pad).dispose() : null,
    bwd_data: has('Conv3DBackpropInputV2')
      ? () => engine.runKernel('Conv3DBackpropInputV2', { dy, filter }, { strides, pad, inputShape: x.shape }).dispose() : null,
    bwd_weight: has('Conv3DBackpropFilterV2')
      ? () => engine.runKernel('Conv3DBackpropFilterV2', { x, dy }, { strides, pad, filterShape: filter.shape }).dispose() : null,
    dispose: () => tf.dispose([x, filter, dy]),
  };
}
