// SVG bar charts of the benchmark reports (bench/results/*.json), drawn by render.mjs
// --docs into docs/charts/: how many times faster convcore is than a peer, one bar per
// case on a log scale (right of 1× and green where convcore is faster, left and red
// where the peer is), with a note beside each bar.

const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const times = (ratio) => (ratio >= 10 ? ratio.toFixed(0) : ratio.toFixed(2)) + '×';

/**
 * rows: [{ label, ratio (peer's time / convcore's), note? }]; null when there are none.
 * The scale's decades cover every ratio (at least 0.1× to 10×).
 */
export function ratioChart({ title, subtitle, rows }) {
  if (rows.length === 0) return null;
  const ratios = rows.map((r) => r.ratio);
  const low = Math.min(-1, Math.floor(Math.log10(Math.min(...ratios))));
  const high = Math.max(1, Math.ceil(Math.log10(Math.max(...ratios))));
  const decades = Array.from({ length: high - low + 1 }, (_, i) => 10 ** (low + i));
  const rowHeight = 16, top = 46, labelWidth = Math.max(150, 6.2 * Math.max(...rows.map((r) => r.label.length)) + 12);
  const barArea = 380, width = labelWidth + barArea + 130;
  const x = (v) => labelWidth + ((Math.log10(v) - low) / (high - low)) * barArea;
  const height = top + rows.length * rowHeight + 24;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width.toFixed(0)}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width.toFixed(0)}" height="${height}" fill="white"/>`,
    `<text x="10" y="16" font-size="13" font-weight="bold">${escape(title)}</text>`,
    `<text x="10" y="32" fill="#555">${escape(subtitle)}</text>`,
  ];
  for (const d of decades) {
    out.push(`<line x1="${x(d).toFixed(1)}" y1="${top - 4}" x2="${x(d).toFixed(1)}" y2="${height - 20}" stroke="${d === 1 ? '#000' : '#ddd'}"/>`);
    out.push(`<text x="${x(d).toFixed(1)}" y="${height - 8}" text-anchor="middle" fill="#555">${d}×</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    const a = x(1), b = x(r.ratio);
    out.push(`<text x="${(labelWidth - 6).toFixed(1)}" y="${y + 11}" text-anchor="end">${escape(r.label)}</text>`);
    out.push(`<rect x="${Math.min(a, b).toFixed(1)}" y="${y + 2}" width="${Math.max(1, Math.abs(b - a)).toFixed(1)}" height="${rowHeight - 4}" fill="${r.ratio >= 1 ? '#2a9d4b' : '#d1495b'}"/>`);
    out.push(`<text x="${(labelWidth + barArea + 6).toFixed(1)}" y="${y + 11}">${escape(times(r.ratio) + (r.note ? `, ${r.note}` : ''))}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

const machineLine = (date, machine) =>
  `${date.slice(0, 10)}, ${machine.cpu} (${machine.cores} cores${machine.isa ? `, ${machine.isa}` : ''})`;

/** npm run bench (results/latest.json): every standard shape and pass against PyTorch, % of the FMA peak beside. */
export function speedChart(report, threads = 2) {
  const rows = report.results.filter((r) => r.threads === threads).flatMap((r) => {
    const torch = report.peers.find((p) => p.peer === 'torch' && p.shape === r.shape && p.pass === r.pass && p.threads === threads);
    // The median of the rounds' ratios where the run measured the two back to back.
    return torch ? [{ label: `${r.shape} ${r.pass}`, ratio: torch.ratio ?? torch.medianMs / r.medianMs, note: `${r.pctPeak.toFixed(0)}%` }] : [];
  });
  return ratioChart({
    title: `convcore against PyTorch, ${threads} threads (× faster, log scale)`,
    subtitle: `${machineLine(report.date, report.machine)}; % = convcore's share of the FMA peak`,
    rows,
  });
}

/**
 * npm run bench:elementwise (results/elementwise.json): each op against PyTorch doing the
 * same, both writing into a preallocated out= where the op has one (reductions: as called).
 */
export function elementwiseChart(report, threads = 2) {
  const rows = report.results.filter((r) => r.threads === threads).flatMap((r) => {
    // The median of the rounds' ratios (bench/elementwise.mjs measures the two back to back).
    const intoOut = r.outVsTorch != null;
    const ratio = intoOut ? r.outVsTorch : r.vsTorch;
    const GBps = intoOut ? r.outGBps : r.GBps;
    return ratio != null ? [{ label: r.id, ratio, note: GBps ? `${GBps.toFixed(0)} GB/s` : '' }] : [];
  });
  return ratioChart({
    title: `Element-wise ops on 8M floats against PyTorch, ${threads} threads`,
    subtitle: `${machineLine(report.date, report.machine)}; both writing into out= (reductions: as called)`,
    rows,
  });
}

/** npm run bench:filter (results/filter.json): the filter stage and whole files against sharp. */
export function filterChart(report) {
  const rows = [
    ...report.stageCases.map((c) => ({ label: `${c.name} (stage)`, ratio: c.sharpMs / c.convcoreMs, note: `${c.convcoreMs.toFixed(2)} ms` })),
    ...report.endCases.map((c) => ({ label: `16 ${c.format.toUpperCase()} files, end to end`, ratio: c.sharpMs / c.convcoreMs, note: `${c.convcoreMs.toFixed(0)} ms` })),
  ];
  return ratioChart({
    title: 'Filtering 8-bit images against sharp (× faster, 2 threads)',
    subtitle: `${report.date.slice(0, 10)}; note = convcore's time`,
    rows,
  });
}

/** npm run bench:train (results/train-block.json, train-resnet.json): training steps against PyTorch. */
export function trainChart(block, resnet) {
  const rows = [];
  for (const c of block?.convcore ?? []) {
    const torch = block.torch?.find((t) => t.threads === c.threads);
    if (torch) rows.push({ label: `ResNet block step, ${c.threads} thread${c.threads > 1 ? 's' : ''}`, ratio: torch.stepMs / c.stepMs, note: `${c.stepMs.toFixed(0)} ms` });
  }
  if (resnet?.pytorch) {
    const best = (r) => Math.max(...r.epochSamplesPerSecond);
    rows.push({
      label: `ResNet-18 on MNIST, ${resnet.threads} threads`, ratio: best(resnet.convcore) / best(resnet.pytorch),
      note: `${best(resnet.convcore).toFixed(0)} samples/s`,
    });
  }
  return ratioChart({
    title: 'Training against PyTorch (× its samples/s)',
    subtitle: `${(block ?? resnet).date.slice(0, 10)}; same model, batch and initial weights`,
    rows,
  });
}
