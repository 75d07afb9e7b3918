// The Python peers of the benchmarks (Debian's python3-torch and python3-opencv live under
// /usr/bin, beside whatever python3 comes first on PATH): finding one that imports a
// module, and running a script on it at a thread count, one thread pinned to core 0.
import { spawn, spawnSync } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A Python that imports `module`, with that module's __version__, or null. */
export function findPython(module) {
  for (const python of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(python, ['-c', `import ${module}; print(${module}.__version__)`], { encoding: 'utf8' });
    if (r.status === 0) return { python, version: r.stdout.trim() };
  }
  return null;
}

/** Whether taskset can pin a process to core 0 here. */
export const canPin = spawnSync('taskset', ['-c', '0', 'true']).status === 0;

/**
 * [command, argv, env] running `python args…`: at 1 thread pinned to core 0 where
 * possible and with OMP_NUM_THREADS=1 (PyTorch's set_num_threads(1) still runs oneDNN's
 * convolutions on every core otherwise).
 */
export function pythonCommand(python, args, threads) {
  const env = { ...process.env, ...(threads === 1 ? { OMP_NUM_THREADS: '1' } : {}) };
  return threads === 1 && canPin ? ['taskset', ['-c', '0', python, ...args], env] : [python, args, env];
}

/**
 * A Python script kept running at a thread count (pinned as pythonCommand does), asked
 * one JSON line at a time: ask(request) resolves to its one-line JSON answer. The
 * benchmarks measure a peer's call and convcore's back to back this way.
 */
export function pythonWorker(python, args, threads) {
  const [cmd, argv, env] = pythonCommand(python, args, threads);
  const child = spawn(cmd, argv, { env, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    async ask(request) {
      child.stdin.write(JSON.stringify(request) + '\n');
      const { value, done } = await lines.next();
      if (done) throw new Error(`${args[0]} (${threads} threads) ended early`);
      return JSON.parse(value);
    },
    close() { child.stdin.end(); },
  };
}
