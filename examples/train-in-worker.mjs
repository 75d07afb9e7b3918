// Server-side training that keeps the event loop free: LeNet trains on MNIST inside a
// worker_thread while the main thread serves HTTP. The main thread requests its own
// /health endpoint every 20 ms during training and reports the response times.
//   node examples/train-in-worker.mjs [--epochs 2]
import { once } from 'node:events';
import { createServer, get } from 'node:http';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

if (isMainThread) {
  const { values } = parseArgs({ options: { epochs: { type: 'string', default: '2' } } });
  const epochs = Number(values.epochs);
  let status = 'starting';
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ ok: true, training: status }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  console.log(`HTTP server on http://127.0.0.1:${port}/health; training LeNet for ${epochs} epochs in a worker`);

  const worker = new Worker(new URL(import.meta.url), { workerData: { epochs } });
  worker.on('message', (message) => {
    status = message.status;
    console.log(`[worker] ${message.status}`);
  });
  const latencies = [];
  // Requests in flight when training ends are awaited before the server closes (closing
  // under them reset their connections); a request that fails is counted, not thrown.
  const inFlight = new Set();
  let failed = 0;
  const probe = setInterval(() => {
    const start = performance.now();
    const request = new Promise((resolve) => {
      get({ host: '127.0.0.1', port, path: '/health' }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - start);
          resolve();
        });
      }).on('error', () => {
        failed++;
        resolve();
      });
    });
    inFlight.add(request);
    request.then(() => inFlight.delete(request));
  }, 20);
  const [exitCode] = await once(worker, 'exit');
  clearInterval(probe);
  await Promise.all(inFlight);
  server.close();
  if (failed > 0) console.log(`${failed} requests failed`);
  latencies.sort((a, b) => a - b);
  const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))].toFixed(2);
  console.log(`main thread answered ${latencies.length} requests during training: ` +
    `median ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`);
  process.exitCode = exitCode;
} else {
  const { DataLoader, SGD, loadMnist, manualSeed } = await import('convcore');
  const { buildLeNet, evaluate, trainEpoch } = await import('./lenet.mjs');
  manualSeed(0);
  const { train, test } = loadMnist();
  const net = buildLeNet();
  const optimizer = new SGD(net.parameters(), { lr: 0.05, momentum: 0.9 });
  const loader = new DataLoader(train.images, train.labels, { batchSize: 64, shuffle: true, seed: 0 });
  for (let epoch = 0; epoch < workerData.epochs; epoch++) {
    const result = trainEpoch(net, optimizer, loader, epoch);
    const accuracy = evaluate(net, test.images, test.labels);
    parentPort.postMessage({
      status: `epoch ${epoch + 1}: loss ${result.loss.toFixed(4)}, test accuracy ${(100 * accuracy).toFixed(2)}%, ` +
        `${Math.round(result.samples / result.seconds)} samples/s`,
    });
  }
}
