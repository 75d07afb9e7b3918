// TensorFlow.js peers (its WASM and pure-JS CPU backends), NHWC as tfjs wants it; the
// layout conversion happens outside the timed region (random data: only speed counts).
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { outputSize } from './measure.mjs';

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
  const [oh, ow] = outputSize(s);
  const depthwise = s.groups > 1;
  if (depthwise && s.groups !== s.C) return null;
  const x = tf.randomNormal([s.N, s.H, s.W, s.C]);
  const filter = depthwise ? tf.randomNormal([s.kh, s.kw, s.C, s.O / s.C]) : tf.randomNormal([s.kh, s.kw, s.C, s.O]);
  const dy = tf.randomNormal([s.N, oh, ow, s.O]);
  const strides = [s.stride, s.stride];
  // tfjs 4.22 gets the output width wrong for a numeric pad with non-square kernels.
  const pad = s.pad === 0 ? 'valid' : s.pad;
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
