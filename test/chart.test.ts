/** The benchmark chart (bench/chart.mjs): one bar per shape and pass, coloured by who is faster, from real ratios. */
import { expect, test } from 'vitest';
// @ts-expect-error: a plain ES module script without type declarations
import { speedChart } from '../bench/chart.mjs';

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
