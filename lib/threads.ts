/** The native kernels' thread pool (one per Node.js environment, i.e. per worker thread). */
import { nativeAddon } from './binding';
import { is, rangeError, typeError } from './validate';

/** Sets how many threads the native kernels use (default: the machine's cores). */
export function setNumThreads(threads: number): void {
  if (!is.positiveInteger(threads) || threads > 1024) {
    throw (typeof threads === 'number' ? rangeError : typeError)('setNumThreads', 'threads', 'an integer from 1 to 1024', threads);
  }
  nativeAddon().setNumThreads(threads);
}

export function getNumThreads(): number {
  return nativeAddon().getNumThreads();
}

/** The instruction set the native kernels run on: 'avx512', 'avx2', 'neon' or 'generic' (CONVCORE_ISA picks another the CPU has). */
export function isa(): string {
  return nativeAddon().isa();
}
