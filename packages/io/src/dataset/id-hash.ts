/**
 * The 64-bit fingerprint of a user id (two 32-bit halves), shared by the id decoder, which hashes ASCII ids
 * from their bytes while finding their end, and the duplicate tracker. Both give the same value for the same
 * id, however it was spelled in JSON. The result is left in idHash ([h1, h2]): a typed array, so the
 * 32-bit values are never boxed.
 */
export const idHash = new Uint32Array(2);

const H1_SEED = 0x811c9dc5;
const H2_SEED = 0x9747b28c;

export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Two FNV-style streams over the UTF-16 code units, finalised with murmur3's mixer. */
export function hashString(s: string): void {
  let h1 = H1_SEED ^ s.length;
  let h2 = H2_SEED;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  idHash[0] = fmix(h1);
  idHash[1] = fmix(h2 ^ s.length);
}

/** The same as hashString for an ASCII string held as bytes b[from..to). */
export function hashAscii(b: Uint8Array, from: number, to: number): void {
  const len = to - from;
  let h1 = H1_SEED ^ len;
  let h2 = H2_SEED;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  idHash[0] = fmix(h1);
  idHash[1] = fmix(h2 ^ len);
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Numbers hash apart from strings ("1" and 1 are different ids); -0 and 0 are the same once written. */
export function hashNumber(v: number): void {
  f64[0] = v === 0 ? 0 : v;
  const lo = u32[0]!;
  const hi = u32[1]!;
  idHash[0] = fmix(lo ^ fmix(hi ^ 0x27d4eb2f));
  idHash[1] = fmix(hi ^ fmix(lo ^ 0x165667b1));
}

export function hashId(id: string | number): void {
  if (typeof id === "string") hashString(id);
  else hashNumber(id);
}
