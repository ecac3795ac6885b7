/**
 * Remembers every user id seen, as a 56-bit fingerprint in typed arrays (6 bytes a slot, ~8-10 bytes a
 * user), to count repeated ids in bounded memory. A fingerprint match is a *candidate*: the exact ids are
 * reported so the data.json writer's dedupe pass can confirm them by value; a hash collision (about
 * 1 in 10^9 at 10M users) therefore can miscount by one but never drops a user.
 *
 * 256 segments, picked by the top 8 hash bits, grow independently, so growth never holds two copies of the
 * whole table at once.
 */
const SEGMENTS = 256;
const INITIAL_CAPACITY = 64;
const MAX_LOAD = 0.8;

import { fmix, hashId, idHash } from "./id-hash.js";

// A slot is three interleaved 16-bit words (fingerprint high, low, extra), so a probe touches one cache line.
class Segment {
  size = 0;
  mask: number;
  words: Uint16Array;
  constructor(capacity: number) {
    this.mask = capacity - 1;
    this.words = new Uint16Array(capacity * 3);
  }
}

function home(a: number, b: number, mask: number): number {
  return fmix(a ^ Math.imul(b + 1, 0x9e3779b1)) & mask;
}

export class DuplicateTracker {
  private readonly segments: Segment[] = [];

  constructor() {
    for (let i = 0; i < SEGMENTS; i++) this.segments.push(new Segment(INITIAL_CAPACITY));
  }

  /** Bytes held by the tables (for the benchmark's memory figure). */
  bytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.words.byteLength;
    return total;
  }

  /** Adds the id; true when its fingerprint was seen before (a candidate duplicate). */
  add(id: string | number): boolean {
    hashId(id);
    return this.addHash(idHash.h1, idHash.h2);
  }

  /** Adds a fingerprint computed by id-hash.ts. */
  addHash(h1: number, h2: number): boolean {
    const a = h2 === 0 ? 1 : h2;
    const hi = a >>> 16;
    const lo = a & 0xffff;
    const b = h1 & 0xffff;
    const seg = this.segments[h1 >>> 24]!;
    const { words, mask } = seg;
    let i = home(a, b, mask);
    for (;;) {
      const w = i * 3;
      const h = words[w]!;
      const l = words[w + 1]!;
      if (h === 0 && l === 0) break;
      if (h === hi && l === lo && words[w + 2] === b) return true;
      i = (i + 1) & mask;
    }
    const w = i * 3;
    words[w] = hi;
    words[w + 1] = lo;
    words[w + 2] = b;
    if (++seg.size > (mask + 1) * MAX_LOAD) this.grow(h1 >>> 24);
    return false;
  }

  private grow(index: number): void {
    const old = this.segments[index]!;
    const next = new Segment((old.mask + 1) * 2);
    const { words, mask } = next;
    const from = old.words;
    for (let j = 0; j <= old.mask; j++) {
      const v = j * 3;
      const hi = from[v]!;
      const lo = from[v + 1]!;
      if (hi === 0 && lo === 0) continue;
      const b = from[v + 2]!;
      let i = home(((hi << 16) | lo) >>> 0, b, mask);
      while (words[i * 3] !== 0 || words[i * 3 + 1] !== 0) i = (i + 1) & mask;
      words[i * 3] = hi;
      words[i * 3 + 1] = lo;
      words[i * 3 + 2] = b;
    }
    next.size = old.size;
    this.segments[index] = next;
  }
}
