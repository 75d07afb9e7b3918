// The benchmark's Markdown tables (results/latest.md, put into docs/performance.md by render.mjs --docs).
// Issue 15's target: every standard shape and pass at least this many times PyTorch's speed.
const TARGET_RATIO = 1.2;
const f1 = (v) => (v === undefined ? '–' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 0.1 ? v.toFixed(2) : v.toPrecision(2));

export function markdownReport({ date, machine, results, peers, smallCalls }) {
  const at = (shape, pass, threads) => results.find((r) => r.shape === shape && r.pass === pass && r.threads === threads);
  const peer = (name, shape, pass) => peers.find((r) => r.peer === name && r.shape === shape && r.pass === pass);
  const lines = [];
  lines.push(`Measured ${date.slice(0, 10)} by \`npm run bench\` on ${machine.cpu} (${machine.cores} cores, ` +
    `kernels: ${machine.isa}, Node ${machine.node}). Measured FMA peak: ${f1(machine.peakGflops[1])} GFLOP/s ` +
    `on 1 thread, ${f1(machine.peakGflops[2])} on 2; memory copy ${f1(machine.copyGBps[1])} / ${f1(machine.copyGBps[2])} GB/s. ` +
    'Medians; GFLOP/s = 2·N·O·Ho·Wo·(C/groups)·kh·kw per pass; peers run one thread; ' +
    '"×" is how many times faster convcore (1 thread) is; ms are with results preallocated (`out`), "fresh" is the time ' +
    'of the same call allocating its result, as a multiple of that.' +
    (machine.stealPercent !== undefined ? ` CPU time stolen by the hypervisor during the run: ${machine.stealPercent.toFixed(1)}%.` : ''));
  if (machine.peakByIsa) {
    lines.push('');
    lines.push('FMA peak by ISA level (GFLOP/s at 1 / 2 threads): ' +
      Object.entries(machine.peakByIsa).map(([level, t]) => `${level} ${f1(t[1])} / ${f1(t[2])}`).join(', ') +
      `; "% peak" is of the level in use (${machine.isa}).`);
  }
  const torchAt = (shape, pass, threads) => peers.find((r) => r.peer === 'torch' && r.shape === shape && r.pass === pass && r.threads === threads);
  const haveTorch = peers.some((r) => r.peer === 'torch');
  if (haveTorch) {
    lines.push('');
    lines.push('PyTorch: its median ms and, in brackets, how many times faster convcore is at the same thread count ' +
      '(< 1: PyTorch is faster). Each call ran in 4 rounds, PyTorch\'s and convcore\'s back to back (two PyTorch ' +
      'processes in turn; 1 thread pinned to one core): the ratio is the median of the rounds\' ratios in the process ' +
      'where PyTorch did better, and convcore\'s ms the median of its rounds.');
  }
  lines.push('');
  lines.push('| shape | pass | 1T ms (min) | 1T GFLOP/s | % peak | 2T ms (min) | 2T GFLOP/s | % peak | 2T/1T | fresh 1T / 2T |' +
    (haveTorch ? ' PyTorch 1T ms (×) | PyTorch 2T ms (×) |' : '') + ' tfjs-wasm GFLOP/s (×) | tfjs-cpu GFLOP/s (×) | TS reference (×) |');
  lines.push('|---|---|---|---|---|---|---|---|---|---|' + (haveTorch ? '---|---|' : '') + '---|---|---|');
  const shapes = [...new Set(results.map((r) => r.shape))];
  for (const shape of shapes) {
    for (const pass of ['fwd', 'bwd_data', 'bwd_weight']) {
      const one = at(shape, pass, 1), two = at(shape, pass, 2);
      const versus = (name) => {
        const p = peer(name, shape, pass);
        if (!p) return '–';
        if (p.skipped) return p.skipped;
        return `${f1(p.gflops)} (${f1(p.medianMs / one.medianMs)}×)`;
      };
      const fresh = (r) => (r.freshMs === undefined ? '–' : `${(r.freshMs / r.medianMs).toFixed(2)}×`);
      const torchCell = (threads, ours) => {
        const t = torchAt(shape, pass, threads);
        return t ? `${f1(t.medianMs)} (${(t.ratio ?? t.medianMs / ours.medianMs).toFixed(2)}×)` : '–';
      };
      lines.push(`| ${shape} | ${pass} | ${f1(one.medianMs)} (${f1(one.minMs)}) | ${f1(one.gflops)} | ${one.pctPeak.toFixed(0)}% | ` +
        `${f1(two.medianMs)} (${f1(two.minMs)}) | ${f1(two.gflops)} | ${two.pctPeak.toFixed(0)}% | ${(one.medianMs / two.medianMs).toFixed(2)} | ` +
        `${fresh(one)} / ${fresh(two)} | ` +
        (haveTorch ? `${torchCell(1, one)} | ${torchCell(2, two)} | ` : '') +
        `${versus('wasm')} | ${versus('cpu')} | ${versus('reference')} |`);
    }
  }
  // Issue 15 asks for 1.2× PyTorch on every row: where the run is below that, how fast
  // PyTorch itself ran against the peak, and what 1.2× its speed would take.
  const behind = haveTorch ? results.flatMap((r) => {
    const t = torchAt(r.shape, r.pass, r.threads);
    const ratio = t ? t.ratio ?? t.medianMs / r.medianMs : undefined;
    if (ratio === undefined || ratio >= TARGET_RATIO) return [];
    const torchPct = r.pctPeak / ratio;  // PyTorch's speed = convcore's / ratio
    return [{ ...r, ratio, torchPct, neededPct: TARGET_RATIO * torchPct }];
  }) : [];
  if (behind.length > 0) {
    lines.push('');
    lines.push(`Rows below ${TARGET_RATIO}× PyTorch: PyTorch's own share of the FMA peak (from its time and the same ` +
      `FLOPs), and the share convcore would need for ${TARGET_RATIO}× (above 100%: beyond the machine).`);
    lines.push('');
    lines.push('| shape | pass | threads | × PyTorch | convcore % peak | PyTorch % peak | needed for ' + `${TARGET_RATIO}× |`);
    lines.push('|---|---|---|---|---|---|---|');
    for (const r of behind) {
      lines.push(`| ${r.shape} | ${r.pass} | ${r.threads} | ${r.ratio.toFixed(2)}× | ${r.pctPeak.toFixed(0)}% | ` +
        `${r.torchPct.toFixed(0)}% | ${r.neededPct.toFixed(0)}% |`);
    }
  }
  const images = results.filter((r) => r.streamMs !== undefined && r.threads === 2);
  if (images.length > 0) {
    lines.push('');
    lines.push('Image filters, forward at 2 threads, against streaming input and output through memory once at the copy bandwidth measured just before and after the filter:');
    lines.push('');
    lines.push('| shape | ms | GB/s | copy GB/s | stream ms | ratio |');
    lines.push('|---|---|---|---|---|---|');
    for (const r of images) {
      lines.push(`| ${r.shape} | ${f1(r.medianMs)} | ${f1(r.GBps)} | ${f1(r.copyGBps)} | ${f1(r.streamMs)} | ` +
        `${(r.medianMs / r.streamMs).toFixed(2)} |`);
    }
  }
  if (smallCalls) {
    lines.push('');
    lines.push(`The book's 6×8 example: forward ${smallCalls.forwardUs.toFixed(2)} µs a call, ` +
      `a training step (forward, loss, backward, SGD) ${smallCalls.trainStepUs.toFixed(2)} µs.`);
  }
  return lines.join('\n') + '\n';
}
