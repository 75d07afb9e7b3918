// Draws examples/assets/sample.jpg, the picture the filter demo ships with: a landscape
// made here (SVG rendered by sharp, plus film grain), so its licence is the package's.
//   node examples/assets/make-sample.mjs
import sharp from 'sharp';

const width = 640, height = 426;
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
  <defs>
    <linearGradient id="sky" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#2f6db5"/><stop offset="0.6" stop-color="#9cc7ea"/><stop offset="1" stop-color="#f3d9a6"/>
    </linearGradient>
    <linearGradient id="lake" x1="0" y1="0" x2="0" y2="1">
      <stop offset="0" stop-color="#4f7fa8"/><stop offset="1" stop-color="#1d3b57"/>
    </linearGradient>
    <radialGradient id="sun"><stop offset="0" stop-color="#fff8d0"/><stop offset="1" stop-color="#ffd36a"/></radialGradient>
  </defs>
  <rect width="${width}" height="${height}" fill="url(#sky)"/>
  <circle cx="470" cy="120" r="42" fill="url(#sun)"/>
  <path d="M0 270 L90 170 L150 225 L240 110 L330 215 L400 160 L500 240 L570 190 L640 250 L640 300 L0 300 Z" fill="#5a6b7d"/>
  <path d="M240 110 L262 140 L248 136 L236 148 L222 132 Z" fill="#f4f6f8"/>
  <path d="M0 300 L640 300 L640 426 L0 426 Z" fill="url(#lake)"/>
  <path d="M0 300 C120 280 220 320 330 300 C430 284 540 316 640 296 L640 330 L0 330 Z" fill="#3e6b2f"/>
  <g fill="#24451d">
    ${Array.from({ length: 14 }, (_, i) => { const x = 20 + i * 45 + (i % 3) * 7, h = 40 + (i * 17) % 35;
      return `<path d="M${x} ${318 - h} L${x + 14} ${318} L${x - 14} ${318} Z"/>`; }).join('')}
  </g>
  <g transform="translate(380 262)">
    <rect x="0" y="18" width="60" height="40" fill="#b5523b"/><path d="M-6 20 L30 -6 L66 20 Z" fill="#6b2b22"/>
    <rect x="10" y="30" width="12" height="12" fill="#f5e6a8"/><rect x="36" y="32" width="12" height="26" fill="#4a2a1a"/>
  </g>
  <g stroke="#e9f1f7" stroke-width="2" opacity="0.5">
    <line x1="60" y1="360" x2="140" y2="360"/><line x1="200" y1="385" x2="300" y2="385"/><line x1="420" y1="370" x2="520" y2="370"/>
  </g>
</svg>`;

const base = await sharp(Buffer.from(svg)).removeAlpha().raw().toBuffer();
// Film grain from a fixed-seed generator, so the file is reproducible.
let state = 12345;
const next = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 2 ** 32);
for (let i = 0; i < base.length; i++) base[i] = Math.max(0, Math.min(255, base[i] + Math.round((next() - 0.5) * 14)));
await sharp(base, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toFile(new URL('./sample.jpg', import.meta.url).pathname);
console.log('wrote examples/assets/sample.jpg');
