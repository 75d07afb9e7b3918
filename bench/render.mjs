// Re-renders results/latest.md from results/latest.json, and with --readme puts it into
// README.md between the bench:start and bench:end markers.
import * as fs from 'node:fs';
import { markdownReport } from './report.mjs';

const dir = new URL('./results/', import.meta.url);
const report = JSON.parse(fs.readFileSync(new URL('latest.json', dir), 'utf8'));
const markdown = markdownReport(report);
fs.writeFileSync(new URL('latest.md', dir), markdown);
if (process.argv.includes('--readme')) {
  const readme = new URL('../README.md', import.meta.url);
  const text = fs.readFileSync(readme, 'utf8');
  const start = '<!-- bench:start -->', end = '<!-- bench:end -->';
  const before = text.slice(0, text.indexOf(start) + start.length);
  const after = text.slice(text.indexOf(end));
  fs.writeFileSync(readme, `${before}\n${markdown}${after}`);
}
console.log(markdown);
