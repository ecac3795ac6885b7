import { ScanFault } from "./dataset-error.js";

/**
 * Walks over one JSON value of any size across many windows (brackets matched, strings honoured), handing
 * each stretch of its bytes to `sink`: used to capture `metadata`, to spool a `data` array that comes before
 * `metadata`, and to skip keys we do not read. Scalars are checked loosely; `metadata` is JSON.parsed after.
 */
export class ValueSkipper {
  private readonly stack: number[] = [];
  private inString = false;
  private escaped = false;
  private inScalar = false;
  private started = false;
  done = false;

  constructor(private readonly sink?: (b: Buffer, from: number, to: number) => void) {}

  /** Consumes from p; returns the position after the value (done = true) or end (needs more). */
  feed(b: Buffer, p: number, end: number): number {
    const from = p;
    const stack = this.stack;
    while (p < end) {
      const c = b[p]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c) this.escaped = true;
        else if (c === 0x22) {
          this.inString = false;
          if (stack.length === 0) return this.finish(b, from, p + 1);
        } else if (c < 0x20) throw new ScanFault(p, "no control character inside a string");
        p++;
        continue;
      }
      if (this.inScalar) {
        if (c === 0x2c || c === 0x5d || c === 0x7d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          this.inScalar = false;
          if (stack.length === 0) return this.finish(b, from, p);
        } else {
          p++;
          continue;
        }
      }
      if (!this.started) {
        this.started = true;
        if (c !== 0x22 && c !== 0x5b && c !== 0x7b && c !== 0x2d && !(c >= 0x30 && c <= 0x39) && c !== 0x74 && c !== 0x66 && c !== 0x6e) {
          throw new ScanFault(p, "a JSON value");
        }
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x5b || c === 0x7b) stack.push(c + 2);
      else if (c === 0x5d || c === 0x7d) {
        if (stack.pop() !== c) throw new ScanFault(p, "matching brackets");
        if (stack.length === 0) return this.finish(b, from, p + 1);
      } else if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x2c && c !== 0x3a) {
        this.inScalar = true;
      }
      p++;
    }
    if (this.sink && p > from) this.sink(b, from, p);
    return p;
  }

  private finish(b: Buffer, from: number, to: number): number {
    if (this.sink && to > from) this.sink(b, from, to);
    this.done = true;
    return to;
  }
}
