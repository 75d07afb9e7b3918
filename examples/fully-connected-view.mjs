// The chapter's starting point: a convolution is a fully connected layer whose weight
// matrix is restricted by locality (mostly zeros) and translation invariance (a few
// shared values). conv2dAsDense builds that matrix for the book's 6×8 example.
import { Tensor, conv2d, conv2dAsDense } from 'convcore';

const K = Tensor.fromArray([[[[1, -1]]]]); // the edge kernel, as a (1, 1, 1, 2) weight
const inputShape = [1, 1, 6, 8];
const W = conv2dAsDense(K, inputShape);
const [rows, cols] = W.shape;
const nonZero = Array.from(W.data).filter((v) => v !== 0);
console.log(`conv2d with a 1×2 kernel on a 6×8 image as a dense layer: W is ${rows} × ${cols} = ${rows * cols} weights`);
console.log(`non-zero: ${nonZero.length} (${((100 * nonZero.length) / (rows * cols)).toFixed(1)}%) — locality: each output sees 2 of ${cols} inputs`);
console.log(`distinct non-zero values: ${new Set(nonZero).size} — weight sharing: every output uses the same kernel`);

// And it is the same map: W · vec(X) equals conv2d(X, K).
const X = Tensor.ones(inputShape);
for (let i = 0; i < 6; i++) for (let j = 2; j < 6; j++) X.data[i * 8 + j] = 0;
const viaDense = Array.from({ length: rows }, (_, r) => {
  let acc = 0;
  for (let c = 0; c < cols; c++) acc += W.data[r * cols + c] * X.data[c];
  return acc;
});
const viaConv = conv2d(X, K).data;
console.log(`W · vec(X) equals conv2d(X, K): ${viaDense.every((v, i) => v === viaConv[i])}`);
