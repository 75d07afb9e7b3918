// The "from fully connected to convolution" chapter of Dive into Deep Learning, run on
// convcore: corr2d, edge detection with a [1, -1] kernel, and learning that kernel.
import { Conv2D, SGD, Tensor, convolve2d, corr2d, manualSeed } from 'convcore';

const fmt = (t) => JSON.stringify(t.toArray());

// 1. The cross-correlation of a 3×3 input with a 2×2 kernel.
const X0 = Tensor.fromArray([[0, 1, 2], [3, 4, 5], [6, 7, 8]]);
const K0 = Tensor.fromArray([[0, 1], [2, 3]]);
console.log('corr2d(X, K) =', fmt(corr2d(X0, K0)));
console.log('convolve2d(X, K) =', fmt(convolve2d(X0, K0)), '(the kernel rotated by 180°)');

// 2. A 6×8 image, white with a black stripe in columns 2..5, and the edge kernel [1, -1].
const X = Tensor.ones([6, 8]);
for (let i = 0; i < 6; i++) for (let j = 2; j < 6; j++) X.data[i * 8 + j] = 0;
const K = Tensor.fromArray([[1, -1]]);
const Y = corr2d(X, K);
console.log('\nimage X (6×8):');
for (const row of X.toArray()) console.log('  ' + row.join(' '));
console.log('edges Y = corr2d(X, [[1, -1]]): 1 = white→black, -1 = black→white');
for (const row of Y.toArray()) console.log('  ' + row.map((v) => String(v).padStart(2)).join(' '));

// Transposed, the edges are horizontal: the vertical-edge kernel finds none.
const Xt = new Tensor(new Float32Array(48), [8, 6]);
for (let i = 0; i < 6; i++) for (let j = 0; j < 8; j++) Xt.data[j * 6 + i] = X.data[i * 8 + j];
const none = corr2d(Xt, K).data.every((v) => v === 0);
console.log(`corr2d(X.T, K) is all zeros: ${none}`);

// 3. Learn K from (X, Y): a Conv2D with one 1×2 kernel and no bias, squared error,
//    10 epochs of gradient descent at learning rate 3e-2.
manualSeed(2026); // a fixed initial kernel, so that every run prints the same numbers
const conv = new Conv2D(1, 1, [1, 2], { bias: false });
console.log(`\ninitial kernel: [[${Array.from(conv.weight.data, (v) => v.toFixed(4)).join(', ')}]]`);
const input = X.reshape([1, 1, 6, 8]);
const target = Y.reshape([1, 1, 6, 7]);
const optimizer = new SGD(conv.parameters(), { lr: 3e-2 });
console.log('learning the kernel:');
for (let epoch = 0; epoch < 10; epoch++) {
  const loss = conv.forward(input).sub(target).square();
  conv.zeroGrad();
  loss.sum().backward();
  optimizer.step();
  if ((epoch + 1) % 2 === 0) console.log(`epoch ${epoch + 1}, loss ${loss.sum().item().toFixed(3)}`);
}
const learned = Array.from(conv.weight.data, (v) => v.toFixed(4));
console.log(`learned kernel: [[${learned.join(', ')}]] (the true one is [[1, -1]])`);
