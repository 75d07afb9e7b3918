/** The benchmark charts (bench/chart.mjs): one bar per case, coloured by who is faster, from real ratios. */
import { expect, test } from 'vitest';
// @ts-expect-error: a plain ES module script without type declarations
import { elementwiseChart, filterChart, ratioChart, speedChart, trainChart } from '../bench/chart.mjs';

const report = {
  date: '2026-12-05T00:00:00Z', machine: { cpu: 'Test CPU', cores: 2, isa: 'avx2' },
  results: [
    { shape: 'a', pass: 'fwd', threads: 2, medianMs: 1, pctPeak: 72.4 },
    { shape: 'b', pass: 'bwd_data', threads: 2, medianMs: 4, pctPeak: 10 },
    { shape: 'c', pass: 'fwd', threads: 1, medianMs: 1, pctPeak: 50 },
  ],
  peers: [
    { peer: 'torch', shape: 'a', pass: 'fwd', threads: 2, medianMs: 250 },
    { peer: 'torch', shape: 'b', pass: 'bwd_data', threads: 2, medianMs: 2 },
    { peer: 'tfjs-cpu', shape: 'c', pass: 'fwd', threads: 2, medianMs: 9 },
  ],
};

test('bars for the 2-thread rows with a PyTorch time: × faster, % of peak, green where convcore wins, red where it loses', () => {
  const svg: string = speedChart(report);
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg).toContain('>a fwd</text>');
  expect(svg).toContain('250×, 72%');
  expect(svg).toContain('0.50×, 10%');
  expect(svg).not.toContain('c fwd');
  expect(svg.match(/fill="#2a9d4b"/g)).toHaveLength(1);
  expect(svg.match(/fill="#d1495b"/g)).toHaveLength(1);
  expect(speedChart({ ...report, peers: [] })).toBeNull();
});

test('a PyTorch row measured back to back gives its rounds\' ratio, not the ratio of the medians', () => {
  const svg: string = speedChart({ ...report, peers: [{ peer: 'torch', shape: 'a', pass: 'fwd', threads: 2, medianMs: 1.2, ratio: 0.9 }] });
  expect(svg).toContain('0.90×, 72%');
  expect(svg).not.toContain('1.20×');
});

/** The bars' [x, width] in drawing order, and the tick labels. */
const bars = (svg: string) => [...svg.matchAll(/<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)"/g)].map((m) => [Number(m[1]), Number(m[2])]);
const ticks = (svg: string) => [...svg.matchAll(/text-anchor="middle" fill="#555">([\d.e-]+)×</g)].map((m) => Number(m[1]));

test('the log scale spans every ratio: a bar twice as long for a ratio squared, each side of 1×', () => {
  const svg: string = ratioChart({ title: 't', subtitle: 's', rows: [
    { label: 'x', ratio: 10 }, { label: 'y', ratio: 100 }, { label: 'z', ratio: 0.01, note: 'slow' }, { label: 'w', ratio: 0.1 },
  ] });
  expect(ticks(svg)).toEqual([0.01, 0.1, 1, 10, 100]);
  const [x, y, z, w] = bars(svg);
  expect(y[1]).toBeCloseTo(2 * x[1], 0);
  expect(z[1]).toBeCloseTo(2 * w[1], 0);
  expect(z[0] + z[1]).toBeCloseTo(x[0], 0); // both bars start at the 1× line
  expect(svg).toContain('0.01×, slow');
  expect(ratioChart({ title: 't', subtitle: 's', rows: [] })).toBeNull();
});

test('element-wise: each 2-thread op against PyTorch, out= against out= (reductions: as called), the rounds\' ratio', () => {
  // vsTorch / outVsTorch: the median of the back-to-back rounds' ratios, which need not be
  // the ratio of the two sides' median times (here 1.2 / 2 = 0.6 and 3 / 1 = 3).
  const svg: string = elementwiseChart({
    date: '2026-12-05T00:00:00Z', machine: { cpu: 'Test CPU', cores: 2 },
    results: [
      { id: 'add', threads: 2, medianMs: 4, GBps: 25, outMs: 2, outGBps: 50, vsTorch: 20, outVsTorch: 0.5 },
      { id: 'sum', threads: 2, medianMs: 1, GBps: 30, outMs: null, outGBps: null, vsTorch: 2.5, outVsTorch: null },
      { id: 'add', threads: 1, medianMs: 4, GBps: 25, outMs: 3, outGBps: 33, vsTorch: 24, outVsTorch: 2.7 },
      { id: 'exp', threads: 2, medianMs: 4, GBps: 16, outMs: 3, outGBps: 21, vsTorch: null, outVsTorch: null },
    ],
    torch: [
      { id: 'add', threads: 2, medianMs: 100, outMs: 1.2 }, { id: 'sum', threads: 2, medianMs: 3, outMs: null },
      { id: 'add', threads: 1, medianMs: 100, outMs: 8 },
    ],
  });
  expect(svg).toContain('>add</text>');
  expect(svg).toContain('0.50×, 50 GB/s');
  expect(svg).toContain('2.50×, 30 GB/s');
  expect(svg).not.toContain('25 GB/s');
  expect(svg).not.toContain('33 GB/s');
  expect(svg).not.toContain('>exp</text>'); // no PyTorch beside it
});

test('filter: the stage and end-to-end cases against sharp', () => {
  const svg: string = filterChart({
    date: '2026-11-26T00:00:00Z',
    stageCases: [{ name: 'gray1080, 3×3', convcoreMs: 0.8, sharpMs: 21.6 }],
    endCases: [{ format: 'jpeg', convcoreMs: 48, sharpMs: 89 }],
  });
  expect(svg).toContain('>gray1080, 3×3 (stage)</text>');
  expect(svg).toContain('27×, 0.80 ms');
  expect(svg).toContain('>16 JPEG files, end to end</text>');
  expect(svg).toContain('1.85×, 48 ms');
});

test('training: the block step per thread count and ResNet-18\'s best epochs against PyTorch', () => {
  const svg: string = trainChart(
    { date: '2026-12-05T00:00:00Z', convcore: [{ threads: 1, stepMs: 100 }, { threads: 2, stepMs: 60 }], torch: [{ threads: 1, stepMs: 150 }, { threads: 2, stepMs: 165 }] },
    { date: '2026-12-05T00:00:00Z', threads: 2, convcore: { epochSamplesPerSecond: [600, 610] }, pytorch: { epochSamplesPerSecond: [700, 710] } },
  );
  expect(svg).toContain('1.50×, 100 ms');
  expect(svg).toContain('2.75×, 60 ms');
  expect(svg).toContain('>ResNet-18 on MNIST, 2 threads</text>');
  expect(svg).toContain(`${(610 / 710).toFixed(2)}×, 610 samples/s`);
  expect(svg.match(/fill="#d1495b"/g)).toHaveLength(1);
});
