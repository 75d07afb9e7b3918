// The CPU a benchmark ran on, as its results name it: the model name, plus the family and
// model numbers where /proc/cpuinfo gives them (AMD names Zen 4 and Zen 5 alike "AMD
// EPYC" on these virtual machines, and they differ: Zen 4 runs a 512-bit FMA as two
// 256-bit halves, Zen 5 at full rate).
import * as fs from 'node:fs';
import * as os from 'node:os';

export function cpuName() {
  const name = os.cpus()[0]?.model.trim() ?? 'unknown CPU';
  try {
    const info = fs.readFileSync('/proc/cpuinfo', 'utf8');
    const field = (key) => info.match(new RegExp(`^${key}\\s*:\\s*(.*)$`, 'm'))?.[1];
    const family = field('cpu family'), model = field('model');
    return family === undefined ? name : `${name} family ${family} model ${model}`;
  } catch {
    return name;  // not Linux
  }
}
