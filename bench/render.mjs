// Re-renders results/latest.md from results/latest.json, and with --readme puts the
// benchmark results into README.md: latest.md between the bench:start/end markers, and
// train.md, train-memory.md, filter.md and elementwise.md (written by bench:train,
// bench:train-memory, bench:filter and bench:elementwise) between their start/end markers;
// queue.md (bench:queue) goes into docs/scaling-out.md the same way.
import * as fs from 'node:fs';
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

if (process.argv.includes('--readme')) {
  const readme = new URL('../README.md', import.meta.url);
  let text = replaceSection(fs.readFileSync(readme, 'utf8'), 'bench', markdown);
  for (const name of ['train', 'train-memory', 'filter', 'elementwise']) {
    const file = new URL(`${name}.md`, dir);
    if (fs.existsSync(file)) text = replaceSection(text, name, fs.readFileSync(file, 'utf8'));
  }
  fs.writeFileSync(readme, text);
  const scaling = new URL('../docs/scaling-out.md', import.meta.url), queue = new URL('queue.md', dir);
  if (fs.existsSync(queue)) fs.writeFileSync(scaling, replaceSection(fs.readFileSync(scaling, 'utf8'), 'queue', fs.readFileSync(queue, 'utf8')));
}
console.log(markdown);
