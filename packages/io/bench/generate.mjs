// (Exported as `@batchkit/io/reference-slice` for other packages' benchmarks.)
// Writes a reference dataset slice (the row layout of platform.md) to disk, streaming, with a fixed seed:
// the platform's 9 always-present columns, then 30 features: 10 boolean, 10 float, 10 integer (10% null).
import { createWriteStream } from "node:fs";
import { once } from "node:events";

export const PLATFORM_COLUMNS = [
  "user_id", "user_created", "data_now", "y_value", "y_timestamp", "random", "moment_key",
  "user_moment_base_timestamp", "moment_timestamp",
];
export const BOOL_FEATURES = Array.from({ length: 10 }, (_, i) => `feature_b${i}`);
export const FLOAT_FEATURES = Array.from({ length: 10 }, (_, i) => `feature_f${i}`);
export const INT_FEATURES = Array.from({ length: 10 }, (_, i) => `feature_i${i}`);
export const FEATURES = [...BOOL_FEATURES, ...FLOAT_FEATURES, ...INT_FEATURES];
export const COLUMNS = [...PLATFORM_COLUMNS, ...FEATURES];

/** mulberry32: small, fast, and the same numbers on every machine. */
export function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BASE = Date.UTC(2024, 0, 1);
const iso = (ms) => new Date(ms).toISOString();

export function row(i, rand) {
  const created = BASE + Math.floor(rand() * 300 * 86400e3);
  const converted = rand() < 0.2;
  const cells = [
    JSON.stringify(`user-${i.toString(36)}-${Math.floor(rand() * 0xffffff).toString(16)}`),
    `"${iso(created)}"`,
    `"${iso(BASE + 330 * 86400e3)}"`,
    converted ? '"true"' : '"false"',
    converted ? `"${iso(created + Math.floor(rand() * 20 * 86400e3))}"` : "null",
    String(rand()),
    `"moment_${i % 7}"`,
    `"${iso(created)}"`,
    `"${iso(created + 86400e3)}"`,
  ];
  for (let k = 0; k < 10; k++) cells.push(rand() < 0.5 ? "true" : "false");
  for (let k = 0; k < 10; k++) cells.push(String(Math.round(rand() * 1e7) / 1e4));
  for (let k = 0; k < 10; k++) cells.push(rand() < 0.1 ? "null" : String(Math.floor(rand() * 1000)));
  return `[${cells.join(",")}]`;
}

/** Streams `users` rows to `path`; returns the byte count. */
export async function generate(path, users, seed = 42) {
  const rand = prng(seed);
  const out = createWriteStream(path, { highWaterMark: 1 << 20 });
  let bytes = 0;
  const put = async (s) => {
    bytes += Buffer.byteLength(s);
    if (!out.write(s)) await once(out, "drain");
  };
  await put(`{"metadata":{"columns":${JSON.stringify(COLUMNS)}},"data":[\n`);
  let text = "";
  for (let i = 0; i < users; i++) {
    text += (i === 0 ? "" : ",\n") + row(i, rand);
    if (text.length > 1 << 20) {
      await put(text);
      text = "";
    }
  }
  await put(`${text}\n]}\n`);
  out.end();
  await once(out, "finish");
  return bytes;
}
