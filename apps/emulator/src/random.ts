/**
 * Small deterministic generators. The demo project must give the same bytes for the same seed on every
 * machine, so nothing here touches Math.random.
 */

/** 32-bit integer hash (murmur3 finalizer): spreads neighbouring inputs over the whole range. */
export function hash32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A tiny sequential generator (mulberry32): fast, good enough for synthetic data and fault dice. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Re-seeds in place, so a per-user generator needs no allocation. */
  reset(seed: number): void {
    this.state = seed >>> 0;
  }

  /** Standard normal (Box-Muller, one of the pair). */
  normal(): number {
    const u = this.next() || 1e-12;
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
}

const GOLDEN = 0x9e3779b1;
const C2 = 0x85ebca6b;

/** Modular inverse of an odd 32-bit number (Newton iteration), so user ids can be turned back into indexes. */
function inverseOdd(a: number): number {
  let x = a;
  for (let i = 0; i < 5; i++) x = Math.imul(x, 2 - Math.imul(a, x));
  return x >>> 0;
}
const GOLDEN_INV = inverseOdd(GOLDEN);
const C2_INV = inverseOdd(C2);

/**
 * A bijection on 32-bit integers: user ids look random but are unique, and `unmix` gives the index back,
 * which lets the emulator check 10M ids without a 10M-entry Set.
 */
export function mix(i: number, key: number): number {
  let x = Math.imul(i >>> 0, GOLDEN) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, C2) >>> 0;
  x ^= x >>> 13;
  return (x ^ key) >>> 0;
}

export function unmix(y: number, key: number): number {
  let x = (y ^ key) >>> 0;
  // Inverse of x ^= x >>> 13 (apply enough times to recover all bits).
  x ^= x >>> 13;
  x ^= x >>> 26;
  x = Math.imul(x, C2_INV) >>> 0;
  x ^= x >>> 16;
  return Math.imul(x, GOLDEN_INV) >>> 0;
}
