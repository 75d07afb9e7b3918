// Re-renders results/latest.md from results/latest.json (after a change to report.mjs).
import * as fs from 'node:fs';
import { markdownReport } from './report.mjs';

const dir = new URL('./results/', import.meta.url);
const report = JSON.parse(fs.readFileSync(new URL('latest.json', dir), 'utf8'));
fs.writeFileSync(new URL('latest.md', dir), markdownReport(report));
console.log(markdownReport(report));
