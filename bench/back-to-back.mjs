// A peer (PyTorch, OpenCV: a pythonWorker kept running) and convcore measured back to back,
// call by call, for npm run bench, bench:elementwise and bench:fresh: this virtual
// machine's speed changes for seconds to minutes at a time for every process at once, and
// sides measured minutes apart would compare two machines.
import { median } from './measure.mjs';

/**
 * `count` rounds, each timing the peer (`theirs(worker)`, awaited) and convcore (`ours()`)
 * one after the other: rounds take the workers in turn, and the order swaps each time
 * every worker has had a round, so that each worker sees both orders. With no workers,
 * convcore alone. Returns [{ processIndex, ours, theirs }] (theirs null without workers).
 */
export async function backToBack(count, workers, theirs, ours) {
  const rounds = [];
  for (let r = 0; r < count; r++) {
    if (workers.length === 0) {
      rounds.push({ processIndex: null, ours: ours(), theirs: null });
      continue;
    }
    const processIndex = r % workers.length, worker = workers[processIndex];
    const round = { processIndex };
    if (Math.floor(r / workers.length) % 2 === 0) {
      round.theirs = await theirs(worker);
      round.ours = ours();
    } else {
      round.ours = ours();
      round.theirs = await theirs(worker);
    }
    rounds.push(round);
  }
  return rounds;
}

/**
 * The rounds of the worker process where the peer did best: per process, the median of
 * its rounds' ratio(round) (the peer's time / convcore's); the smallest is kept.
 * Returns { ratio, rounds } (that process's rounds).
 */
export function peerAtItsBest(rounds, ratio) {
  let best = null;
  for (const processIndex of new Set(rounds.map((r) => r.processIndex))) {
    const mine = rounds.filter((r) => r.processIndex === processIndex);
    const value = median(mine.map(ratio));
    if (!best || value < best.ratio) best = { ratio: value, rounds: mine };
  }
  return best;
}
