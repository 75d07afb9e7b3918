// An SVG bar chart of a benchmark report (results/latest.json): for every standard shape
// and pass at 2 threads, how many times faster convcore is than PyTorch (log scale,
// bars right of 1× where convcore is faster, left where PyTorch is), with convcore's
// % of the machine's FMA peak beside each bar. Written by render.mjs --docs.

const escape = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function speedChart(report, threads = 2) {
  const rows = report.results.filter((r) => r.threads === threads).flatMap((r) => {
    const torch = report.peers.find((p) => p.peer === 'torch' && p.shape === r.shape && p.pass === r.pass && p.threads === threads);
    return torch ? [{ label: `${r.shape} ${r.pass}`, ratio: torch.medianMs / r.medianMs, pct: r.pctPeak }] : [];
  });
  if (rows.length === 0) return null;
  const rowHeight = 16, top = 46, left = 150, barArea = 380, width = left + barArea + 110;
  const decades = [0.1, 1, 10, 100, 1000];
  const span = Math.log10(decades.at(-1)) - Math.log10(decades[0]);
  const x = (v) => left + ((Math.log10(Math.min(Math.max(v, decades[0]), decades.at(-1))) - Math.log10(decades[0])) / span) * barArea;
  const height = top + rows.length * rowHeight + 24;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="10" y="16" font-size="13" font-weight="bold">convcore against PyTorch, ${threads} threads (× faster, log scale)</text>`,
    `<text x="10" y="32" fill="#555">${escape(report.date.slice(0, 10))}, ${escape(report.machine.cpu)} (${report.machine.cores} cores, ${escape(report.machine.isa)}); % = convcore's share of the FMA peak</text>`,
  ];
  for (const d of decades) {
    out.push(`<line x1="${x(d).toFixed(1)}" y1="${top - 4}" x2="${x(d).toFixed(1)}" y2="${height - 20}" stroke="${d === 1 ? '#000' : '#ddd'}"/>`);
    out.push(`<text x="${x(d).toFixed(1)}" y="${height - 8}" text-anchor="middle" fill="#555">${d}×</text>`);
  }
  rows.forEach((r, i) => {
    const y = top + i * rowHeight;
    const a = x(1), b = x(r.ratio);
    out.push(`<text x="${left - 6}" y="${y + 11}" text-anchor="end">${escape(r.label)}</text>`);
    out.push(`<rect x="${Math.min(a, b).toFixed(1)}" y="${y + 2}" width="${Math.max(1, Math.abs(b - a)).toFixed(1)}" height="${rowHeight - 4}" fill="${r.ratio >= 1 ? '#2a9d4b' : '#d1495b'}"/>`);
    out.push(`<text x="${left + barArea + 6}" y="${y + 11}">${r.ratio >= 10 ? r.ratio.toFixed(0) : r.ratio.toFixed(2)}×, ${r.pct.toFixed(0)}%</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}
