// bench/back-to-back.mjs: the order of the rounds and the process kept.
import { expect, test } from 'vitest';
// @ts-expect-error: a plain ES module of the benchmark, without types
import { backToBack, peerAtItsBest } from '../bench/back-to-back.mjs';

test('rounds take the workers in turn and swap the order once every worker has had a round', async () => {
  const log: string[] = [];
  const workers = ['A', 'B'];
  const rounds = await backToBack(4, workers, async (w: string) => { log.push(w); return 2; }, () => { log.push('ours'); return 1; });
  expect(log).toEqual(['A', 'ours', 'B', 'ours', 'ours', 'A', 'ours', 'B']);
  expect(rounds.map((r: { processIndex: number }) => r.processIndex)).toEqual([0, 1, 0, 1]);
  const alone = await backToBack(2, [], async () => 2, () => 1);
  expect(alone).toEqual([{ processIndex: null, ours: 1, theirs: null }, { processIndex: null, ours: 1, theirs: null }]);
});

test('the process where the peer did best (the smallest median ratio) is kept, with its rounds', () => {
  const rounds = [
    { processIndex: 0, ours: 1, theirs: 2 }, { processIndex: 1, ours: 1, theirs: 1.5 },
    { processIndex: 0, ours: 1, theirs: 3 }, { processIndex: 1, ours: 1, theirs: 1.7 },
  ];
  const best = peerAtItsBest(rounds, (r: { ours: number; theirs: number }) => r.theirs / r.ours);
  expect(best.ratio).toBe(1.7); // median of [1.5, 1.7]: the upper middle value
  expect(best.rounds.map((r: { theirs: number }) => r.theirs)).toEqual([1.5, 1.7]);
});
