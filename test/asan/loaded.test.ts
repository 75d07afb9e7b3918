/**
 * Which addon file is loaded: the one CONVCORE_PREBUILD names when set (as
 * npm run test:native-asan sets it, so that the suites after this one really test the
 * sanitizer build), else the local build or the shipped prebuilt binary.
 */
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { expect, test } from 'vitest';
import { Tensor, conv2d } from '../../lib/index';

test('the addon loaded is the one CONVCORE_PREBUILD names, or the local build', () => {
  expect(conv2d(Tensor.ones([1, 1, 3, 3]), Tensor.ones([1, 1, 2, 2])).data).toEqual(Float32Array.of(4, 4, 4, 4));
  const cache = createRequire(__filename).cache;
  const loaded = Object.keys(cache).filter((file) => file.endsWith('.node'));
  expect(loaded).toHaveLength(1);
  const expected = process.env.CONVCORE_PREBUILD
    ? path.join(process.env.CONVCORE_PREBUILD, 'build', 'Release')
    : path.resolve(__dirname, '..', '..');
  expect(loaded[0].startsWith(expected)).toBe(true);
});
