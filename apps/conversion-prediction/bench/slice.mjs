// A generated dataset slice (the row layout of platform.md) written to disk, streaming, with a fixed
// seed: the platform's 9 columns, then 30 features: 10 booleans, 10 floats, 10 integers (10% null).
import { createWriteStream } from "node:fs";
import { once } from "node:events";

export const platformColumns = [
  "user_id", "user_created", "data_now", "y_value", "y_timestamp", "random", "moment_key",
  "user_moment_base_timestamp", "moment_timestamp",
];
export const features = [
  ...Array.from({ length: 10 }, (_, i) => `feature_b${i}`),
  ...Array.from({ length: 10 }, (_, i) => `feature_f${i}`),
  ...Array.from({ length: 10 }, (_, i) => `feature_i${i}`),
];

function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const base = Date.UTC(2026, 0, 1);
const iso = (ms) => new Date(ms).toISOString();

function row(i, rand) {
  const created = base + Math.floor(rand() * 300 * 86400e3);
  const converted = rand() < 0.2;
  const cells = [
    `"user-${i.toString(36)}"`,
    `"${iso(created)}"`,
    `"${iso(base + 330 * 86400e3)}"`,
    converted ? '"true"' : '"false"',
    converted ? `"${iso(created + 86400e3)}"` : "null",
    String(rand()),
    `"m${i % 7}"`,
    `"${iso(created)}"`,
    `"${iso(created + 86400e3)}"`,
  ];
  for (let k = 0; k < 10; k++) cells.push(rand() < 0.5 ? "true" : "false");
  for (let k = 0; k < 10; k++) cells.push(String(Math.round(rand() * 1e7) / 1e4));
  for (let k = 0; k < 10; k++) cells.push(rand() < 0.1 ? "null" : String(Math.floor(rand() * 1000)));
  return `[${cells.join(",")}]`;
}

/** Writes `users` rows to `path`; returns its size in bytes. */
export async function writeSlice(path, users, seed = 7) {
  const rand = prng(seed);
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (text) => {
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, "drain");
  };
  await write(`{"metadata":{"columns":${JSON.stringify([...platformColumns, ...features])}},"data":[`);
  let chunk = "";
  for (let i = 0; i < users; i++) {
    chunk += (i === 0 ? "" : ",") + row(i, rand);
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = "";
    }
  }
  await write(`${chunk}]}`);
  out.end();
  await once(out, "finish");
  return bytes;
}
