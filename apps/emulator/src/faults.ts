/**
 * Faults on demand, so plugin authors (and our tests) can see what their plugin does when storage or the
 * dataset service misbehaves. The dice are seeded, so a single-threaded sequence of requests is repeatable.
 */
import { EmulatorError } from "./errors.js";
import { Rng } from "./random.js";

export interface FaultOptions {
  /** Fraction of plugin-facing requests answered 503. */
  rate5xx?: number;
  /** Fraction of plugin-facing requests answered 429 with Retry-After. */
  rate429?: number;
  /** Seconds sent in Retry-After with a 429 (default 1). */
  retryAfterSeconds?: number;
  /** Fraction of dataset/download bodies whose socket is destroyed midway. */
  resetRate?: number;
  /** Stall of this many ms after the headers and again midway through every dataset/download body. */
  slowMs?: number;
  /** The first signed URL issued for each storage key is already expired. */
  expiredUrls?: boolean;
  /** Fraction of a slice's users served twice (the copies come after the slice's rows). */
  duplicateRows?: number;
  /** Seed of the fault dice (default 1). */
  seed?: number;
}

export interface FaultCounts {
  status5xx: number;
  status429: number;
  resets: number;
  slowBodies: number;
  expiredUrls: number;
  duplicateRows: number;
}

function rate(name: string, value: number | undefined): number {
  const v = value ?? 0;
  if (!Number.isFinite(v) || v < 0 || v > 1) {
    throw new EmulatorError("EMULATOR_OPTIONS_INVALID", `fault ${name} must be a number in 0..1, got ${value}`, {
      hint: `Pass --fault-${name} as a fraction such as 0.1.`,
    });
  }
  return v;
}

export class FaultInjector {
  readonly rate5xx: number;
  readonly rate429: number;
  readonly resetRate: number;
  readonly slowMs: number;
  readonly expiredUrls: boolean;
  readonly duplicateRows: number;
  readonly retryAfterSeconds: number;
  readonly counts: FaultCounts = { status5xx: 0, status429: 0, resets: 0, slowBodies: 0, expiredUrls: 0, duplicateRows: 0 };
  private readonly rng: Rng;

  constructor(options: FaultOptions = {}) {
    this.rate5xx = rate("5xx-rate", options.rate5xx);
    this.rate429 = rate("429-rate", options.rate429);
    this.resetRate = rate("reset-rate", options.resetRate);
    this.duplicateRows = rate("duplicate-rows", options.duplicateRows);
    this.slowMs = Math.max(0, options.slowMs ?? 0);
    this.retryAfterSeconds = Math.max(0, Math.floor(options.retryAfterSeconds ?? 1));
    this.expiredUrls = options.expiredUrls ?? false;
    this.rng = new Rng(options.seed ?? 1);
  }

  get active(): boolean {
    return (
      this.rate5xx > 0 || this.rate429 > 0 || this.resetRate > 0 || this.slowMs > 0 || this.expiredUrls || this.duplicateRows > 0
    );
  }

  /** A status to answer instead of the real response, or null. */
  statusFault(): 503 | 429 | null {
    if (this.rate5xx > 0 && this.rng.next() < this.rate5xx) {
      this.counts.status5xx++;
      return 503;
    }
    if (this.rate429 > 0 && this.rng.next() < this.rate429) {
      this.counts.status429++;
      return 429;
    }
    return null;
  }

  /** Whether this body gets its connection reset midway. */
  resetBody(): boolean {
    if (this.resetRate > 0 && this.rng.next() < this.resetRate) {
      this.counts.resets++;
      return true;
    }
    return false;
  }

  /** How many of a slice's `rows` to serve a second time. */
  duplicatesFor(rows: number): number {
    if (this.duplicateRows <= 0 || rows === 0) return 0;
    const k = Math.min(rows, Math.max(1, Math.round(rows * this.duplicateRows)));
    this.counts.duplicateRows += k;
    return k;
  }

  describe(): string {
    const parts: string[] = [];
    if (this.rate5xx > 0) parts.push(`5xx ${this.rate5xx}`);
    if (this.rate429 > 0) parts.push(`429 ${this.rate429} (Retry-After ${this.retryAfterSeconds}s)`);
    if (this.resetRate > 0) parts.push(`resets ${this.resetRate}`);
    if (this.slowMs > 0) parts.push(`slow ${this.slowMs} ms`);
    if (this.expiredUrls) parts.push("expired signed URLs");
    if (this.duplicateRows > 0) parts.push(`duplicate rows ${this.duplicateRows}`);
    return parts.length === 0 ? "none" : parts.join(", ");
  }
}
