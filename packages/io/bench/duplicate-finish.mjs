// DuplicateCounter.finish() alone: n pseudo-random fingerprints (every 100th one of 997 planted repeats),
// spilled to a temp file as the reader does, then finish() timed. Pass a dist folder to compare builds:
//   node bench/duplicate-finish.mjs ./dist [n]      (e.g. n = 1000000 or 10000000)
import { tmpdir } from "node:os";
const dist = new URL(process.argv[2].endsWith("/") ? process.argv[2] : `${process.argv[2]}/`, `file://${process.cwd()}/`).href;
const { DuplicateCounter } = await import(`${dist}dataset/duplicate-counter.js`);
const n = Number(process.argv[3] ?? 1e6);
const counter = new DuplicateCounter(tmpdir());
const h = new Uint32Array(2);
let x = 12345;
for (let i = 0; i < n; i++) {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  h[0] = x;
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  h[1] = x;
  if (i % 100 === 0 && i > 0) {
    h[0] = 7;
    h[1] = i % 997;
  }
  counter.addHash(h);
  if (i % 100000 === 0) await counter.flush();
}
await counter.flush();
const t = performance.now();
const { count } = await counter.finish();
console.log(`${process.argv[2]} n=${n} finish ms ${(performance.now() - t).toFixed(1)} repeats ${count}`);
await counter.dispose();
