/**
 * Synchronous byte scanners for JSON tokens inside one window of bytes. Each returns the position after the
 * token, or INCOMPLETE when the window ends inside it (the caller then retries the whole row once more
 * bytes arrived), and throws ScanFault on bytes that are not JSON. No allocation on the number path.
 */
import { ScanFault } from "./dataset-error.js";
import { hashAscii, hashString } from "./id-hash.js";

// Buffer's native latin1 slice: the fastest way from ASCII bytes to a string (measured against
// String.fromCharCode and TextDecoder: ~70 vs 140-170 ns for a 17-byte id). Not in @types/node.
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice(this: Buffer, start: number, end: number): string }).latin1Slice;
function latin1(b: Buffer, start: number, end: number): string {
  return latin1Slice.call(b, start, end);
}

export const INCOMPLETE = -1;

/** Where the last readString ended (or INCOMPLETE); a field, so the string can be returned. */
export const cursor = { end: 0 };

/** The value of the last scanNumber. */
export const numberValue = new Float64Array(1);

// Exact powers of ten: with a mantissa below 2^53 and |exponent| <= 22, one multiply or divide is the
// correctly rounded result, i.e. the same double JSON.parse gives (Clinger's fast path).
export const POW10 = new Float64Array(23);
for (let i = 0, v = 1; i < 23; i++, v *= 10) POW10[i] = v;

export function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

export function skipWs(b: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const c = b[p]!;
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return p;
    p++;
  }
  return p;
}

/**
 * Parses the number at p (which holds "-" or a digit) to the double JSON.parse would give, left in
 * numberValue[0] (a typed-array slot, so the double is never boxed); returns the position after it or
 * INCOMPLETE. Up to 9
 * significant digits accumulate in int32 arithmetic (a shorter dependency chain than doubles); longer
 * mantissas go to scanNumberWide.
 */
export function scanNumber(b: Buffer, p: number, end: number): number {
  const start = p;
  let neg = false;
  let c = b[p]!;
  if (c === 0x2d) {
    neg = true;
    if (++p >= end) return INCOMPLETE;
    c = b[p]!;
  }
  let m = 0;
  let digits = 0;
  let exp = 0;
  if (c === 0x30) {
    if (++p >= end) return INCOMPLETE;
    c = b[p]!;
  } else if (c >= 0x31 && c <= 0x39) {
    do {
      if (++digits > 9) return scanNumberWide(b, start, end);
      m = (m * 10 + (c - 0x30)) | 0;
      if (++p >= end) return INCOMPLETE;
      c = b[p]!;
    } while (c >= 0x30 && c <= 0x39);
  } else {
    throw new ScanFault(p, "a digit");
  }
  if (c === 0x2e) {
    if (++p >= end) return INCOMPLETE;
    c = b[p]!;
    if (c < 0x30 || c > 0x39) throw new ScanFault(p, "a digit after the decimal point");
    do {
      // Leading zeros of a fraction are not significant digits.
      if ((m !== 0 || c !== 0x30) && ++digits > 9) return scanNumberWide(b, start, end);
      m = (m * 10 + (c - 0x30)) | 0;
      exp--;
      if (++p >= end) return INCOMPLETE;
      c = b[p]!;
    } while (c >= 0x30 && c <= 0x39);
  }
  if (c === 0x65 || c === 0x45) return scanNumberWide(b, start, end);
  const v = exp === 0 ? m : m / POW10[-exp]!;
  numberValue[0] = neg ? -v : v;
  return p;
}

/** The general number path: double accumulation, exact fallback; same grammar as scanNumber. */
function scanNumberWide(b: Buffer, p: number, end: number): number {
  const start = p;
  let neg = false;
  let c = b[p]!;
  if (c === 0x2d) {
    neg = true;
    if (++p >= end) return INCOMPLETE;
    c = b[p]!;
  }
  let m = 0;
  let digits = 0;
  let exp = 0;
  if (c === 0x30) {
    if (++p >= end) return INCOMPLETE;
    c = b[p]!;
  } else if (c >= 0x31 && c <= 0x39) {
    do {
      m = m * 10 + (c - 0x30);
      digits++;
      if (++p >= end) return INCOMPLETE;
      c = b[p]!;
    } while (c >= 0x30 && c <= 0x39);
  } else {
    throw new ScanFault(p, "a digit");
  }
  if (c === 0x2e) {
    if (++p >= end) return INCOMPLETE;
    c = b[p]!;
    if (c < 0x30 || c > 0x39) throw new ScanFault(p, "a digit after the decimal point");
    do {
      // Leading zeros of a fraction are not significant digits.
      if (m !== 0 || c !== 0x30) digits++;
      m = m * 10 + (c - 0x30);
      exp--;
      if (++p >= end) return INCOMPLETE;
      c = b[p]!;
    } while (c >= 0x30 && c <= 0x39);
  }
  if (c === 0x65 || c === 0x45) {
    if (++p >= end) return INCOMPLETE;
    c = b[p]!;
    let eneg = false;
    if (c === 0x2d || c === 0x2b) {
      eneg = c === 0x2d;
      if (++p >= end) return INCOMPLETE;
      c = b[p]!;
    }
    if (c < 0x30 || c > 0x39) throw new ScanFault(p, "a digit in the exponent");
    let e = 0;
    do {
      if (e < 100_000) e = e * 10 + (c - 0x30);
      if (++p >= end) return INCOMPLETE;
      c = b[p]!;
    } while (c >= 0x30 && c <= 0x39);
    exp += eneg ? -e : e;
  }
  if (digits <= 15 && exp >= -22 && exp <= 22) {
    const v = exp < 0 ? m / POW10[-exp]! : m * POW10[exp]!;
    numberValue[0] = neg ? -v : v;
    return p;
  }
  // Long mantissas and big exponents: the exact (slower) path, so results always equal JSON.parse.
  numberValue[0] = Number(latin1(b, start, p));
  return p;
}

/** Validates the number at p without converting it; returns the position after it or INCOMPLETE. */
export function skipNumber(b: Uint8Array, p: number, end: number): number {
  let c = b[p]!;
  if (c === 0x2d) {
    if (++p >= end) return INCOMPLETE;
    c = b[p]!;
  }
  if (c === 0x30) {
    if (++p >= end) return INCOMPLETE;
    c = b[p]!;
  } else if (c >= 0x31 && c <= 0x39) {
    do {
      if (++p >= end) return INCOMPLETE;
      c = b[p]!;
    } while (c >= 0x30 && c <= 0x39);
  } else {
    throw new ScanFault(p, "a digit");
  }
  if (c === 0x2e) {
    if (++p >= end) return INCOMPLETE;
    c = b[p]!;
    if (c < 0x30 || c > 0x39) throw new ScanFault(p, "a digit after the decimal point");
    do {
      if (++p >= end) return INCOMPLETE;
      c = b[p]!;
    } while (c >= 0x30 && c <= 0x39);
  }
  if (c === 0x65 || c === 0x45) {
    if (++p >= end) return INCOMPLETE;
    c = b[p]!;
    if (c === 0x2d || c === 0x2b) {
      if (++p >= end) return INCOMPLETE;
      c = b[p]!;
    }
    if (c < 0x30 || c > 0x39) throw new ScanFault(p, "a digit in the exponent");
    do {
      if (++p >= end) return INCOMPLETE;
      c = b[p]!;
    } while (c >= 0x30 && c <= 0x39);
  }
  return p;
}

/** p at the opening quote; returns the position after the closing quote, or INCOMPLETE. */
export function skipString(b: Uint8Array, p: number, end: number): number {
  p++;
  while (p < end) {
    const c = b[p]!;
    if (c === 0x22) return p + 1;
    if (c === 0x5c) p += 2;
    else if (c < 0x20) throw new ScanFault(p, "no control character inside a string");
    else p++;
  }
  return INCOMPLETE;
}

/**
 * Decodes the string at p (the opening quote) exactly as JSON.parse would: a fast path for plain ASCII,
 * and JSON.parse itself on the UTF-8 text for escapes and non-ASCII (surrogate pairs, \u sequences).
 */
export function readString(b: Buffer, p: number, end: number): string {
  let q = p + 1;
  for (;;) {
    if (q >= end) return incompleteString();
    const c = b[q]!;
    if (c === 0x22) break;
    if (c === 0x5c || c >= 0x80 || c < 0x20) return readStringSlow(b, p, end);
    q++;
  }
  cursor.end = q + 1;
  return latin1(b, p + 1, q);
}

/** readString that also leaves the id fingerprint in idHash (hashed from the bytes on the ASCII path). */
export function readIdString(b: Buffer, p: number, end: number): string {
  let q = p + 1;
  for (;;) {
    if (q >= end) return incompleteString();
    const c = b[q]!;
    if (c === 0x22) break;
    if (c === 0x5c || c >= 0x80 || c < 0x20) {
      const s = readStringSlow(b, p, end);
      if (cursor.end !== INCOMPLETE) hashString(s);
      return s;
    }
    q++;
  }
  cursor.end = q + 1;
  hashAscii(b, p + 1, q);
  return latin1(b, p + 1, q);
}

function incompleteString(): string {
  cursor.end = INCOMPLETE;
  return "";
}

function readStringSlow(b: Buffer, p: number, end: number): string {
  const after = skipString(b, p, end);
  if (after === INCOMPLETE) return incompleteString();
  cursor.end = after;
  try {
    return JSON.parse(b.toString("utf8", p, after)) as string;
  } catch {
    throw new ScanFault(p, "a valid string (bad escape sequence)");
  }
}

/** true/false/null at p: returns the position after it or INCOMPLETE; 1 = true, 0 = false, -1 = null in `literal`. */
export const literal = { value: 0 };
export function scanLiteral(b: Uint8Array, p: number, end: number): number {
  const c = b[p]!;
  if (c === 0x74) {
    if (p + 4 > end) return prefixOr(b, p, end, "true");
    if (b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65) {
      literal.value = 1;
      return p + 4;
    }
  } else if (c === 0x66) {
    if (p + 5 > end) return prefixOr(b, p, end, "false");
    if (b[p + 1] === 0x61 && b[p + 2] === 0x6c && b[p + 3] === 0x73 && b[p + 4] === 0x65) {
      literal.value = 0;
      return p + 5;
    }
  } else if (c === 0x6e) {
    if (p + 4 > end) return prefixOr(b, p, end, "null");
    if (b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c) {
      literal.value = -1;
      return p + 4;
    }
  }
  throw new ScanFault(p, "a JSON value");
}

// A literal cut by the window end is incomplete only if what is there is a true prefix of it.
function prefixOr(b: Uint8Array, p: number, end: number, word: string): number {
  for (let i = 0; p + i < end; i++) if (b[p + i] !== word.charCodeAt(i)) throw new ScanFault(p, "a JSON value");
  return INCOMPLETE;
}

/**
 * Skips the array or object at p inside the window (brackets matched, strings honoured, scalars loosely
 * checked); returns the position after it or INCOMPLETE.
 */
export function skipComposite(b: Uint8Array, p: number, end: number): number {
  const stack: number[] = [];
  while (p < end) {
    const c = b[p]!;
    if (c === 0x22) {
      p = skipString(b, p, end);
      if (p === INCOMPLETE) return INCOMPLETE;
      continue;
    }
    if (c === 0x5b || c === 0x7b) stack.push(c + 2);
    else if (c === 0x5d || c === 0x7d) {
      if (stack.pop() !== c) throw new ScanFault(p, "matching brackets");
      if (stack.length === 0) return p + 1;
    }
    p++;
  }
  return INCOMPLETE;
}

/** Skips any JSON value at p; returns the position after it or INCOMPLETE. */
export function skipValue(b: Uint8Array, p: number, end: number): number {
  const c = b[p]!;
  if (c === 0x22) return skipString(b, p, end);
  if (c === 0x2d || (c >= 0x30 && c <= 0x39)) return skipNumber(b, p, end);
  if (c === 0x5b || c === 0x7b) return skipComposite(b, p, end);
  return scanLiteral(b, p, end);
}
