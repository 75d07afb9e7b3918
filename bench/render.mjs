// Re-renders results/latest.md from results/latest.json, and with --docs (which every
// npm run bench* that writes a report runs after it) puts the
// benchmark results into the docs: latest.md between the bench:start/end markers of
// docs/performance.md, with train.md, train-memory.md, train-block.md, train-resnet.md,
// filter.md, elementwise.md, block-share.md and fresh.md (written by bench:train, bench:train-memory,
// bench:filter, bench:elementwise and bench:fresh) between theirs, and queue.md (bench:queue) into
// docs/scaling-out.md; and draws the charts of docs/charts/ (chart.mjs) from the reports
// there are.
import * as fs from 'node:fs';
import { elementwiseChart, filterChart, speedChart, trainChart } from './chart.mjs';
import { markdownReport } from './report.mjs';

const dir = new URL('./results/', import.meta.url);
const report = JSON.parse(fs.readFileSync(new URL('latest.json', dir), 'utf8'));
const markdown = markdownReport(report);
fs.writeFileSync(new URL('latest.md', dir), markdown);

function replaceSection(text, name, body) {
  const start = `<!-- ${name}:start -->`, end = `<!-- ${name}:end -->`;
  if (!text.includes(start) || !text.includes(end)) throw new Error(`no ${start} … ${end} section to fill`);
  return `${text.slice(0, text.indexOf(start) + start.length)}\n${body}${text.slice(text.indexOf(end))}`;
}

if (process.argv.includes('--docs')) {
  const fill = (doc, sections) => {
    const file = new URL(`../docs/${doc}`, import.meta.url);
    let text = fs.readFileSync(file, 'utf8');
    for (const [name, body] of sections) if (body !== null) text = replaceSection(text, name, body);
    fs.writeFileSync(file, text);
  };
  const result = (name) => (fs.existsSync(new URL(`${name}.md`, dir)) ? fs.readFileSync(new URL(`${name}.md`, dir), 'utf8') : null);
  fill('performance.md', [['bench', markdown], ...['train', 'train-memory', 'train-block', 'train-resnet', 'filter', 'elementwise', 'block-share', 'fresh'].map((name) => [name, result(name)])]);
  fill('scaling-out.md', [['queue', result('queue')]]);
  const json = (name) => (fs.existsSync(new URL(`${name}.json`, dir)) ? JSON.parse(fs.readFileSync(new URL(`${name}.json`, dir), 'utf8')) : null);
  const charts = {
    'convcore-vs-pytorch': speedChart(report),
    'elementwise-vs-pytorch': json('elementwise') && elementwiseChart(json('elementwise')),
    'filter-vs-sharp': json('filter') && filterChart(json('filter')),
    'training-vs-pytorch': (json('train-block') || json('train-resnet')) && trainChart(json('train-block'), json('train-resnet')),
  };
  fs.mkdirSync(new URL('../docs/charts/', import.meta.url), { recursive: true });
  for (const [name, svg] of Object.entries(charts)) {
    if (svg) fs.writeFileSync(new URL(`../docs/charts/${name}.svg`, import.meta.url), svg);
  }
}
console.log(process.argv.includes('--docs') ? 'bench: the tables of docs/performance.md and docs/scaling-out.md, and docs/charts/, redrawn from bench/results/' : markdown);
