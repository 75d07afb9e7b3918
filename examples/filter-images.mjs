// The image-filter demo: the shipped sample picture (examples/assets/sample.jpg) through
// a Sobel edge map and a Gaussian blur, written to ./out/ (or the directory given).
//   node examples/filter-images.mjs [outDir]
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { filterImage, imageToTensor } from 'convcore';

const sample = fileURLToPath(new URL('./assets/sample.jpg', import.meta.url));
const outDir = path.resolve(process.argv[2] ?? 'out');
await mkdir(outDir, { recursive: true });

const { tensor } = await imageToTensor(sample);
console.log(`\nimage filters on ${path.relative(process.cwd(), sample)} (${tensor.shape[2]}×${tensor.shape[1]}, ${tensor.shape[0]} channels):`);
const jobs = [
  { name: 'sample-edges.png', filters: ['sobel'], options: { grayscale: true, format: 'png' }, what: 'Sobel gradient magnitude (grey)' },
  { name: 'sample-blur.jpg', filters: ['gaussian:2.5'], options: {}, what: 'Gaussian blur, sigma 2.5, per channel' },
  { name: 'sample-edge-book.png', filters: [[[1, -1]]], options: { grayscale: true, offset: 128, format: 'png' }, what: "the book's [1, -1] kernel, offset 128" },
];
for (const job of jobs) {
  const start = performance.now();
  const bytes = await filterImage(sample, job.filters, job.options);
  const file = path.join(outDir, job.name);
  await writeFile(file, bytes);
  console.log(`  ${job.what}: ${path.relative(process.cwd(), file)} (${(performance.now() - start).toFixed(1)} ms with decoding and encoding)`);
}
