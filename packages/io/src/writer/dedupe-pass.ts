import { createHash } from "node:crypto";
import { closeSync, fsyncSync, openSync, writeSync } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { numberValue, readString, scanNumber } from "../dataset/json-scan.js";

/**
 * "Last one wins" for repeated user ids: two passes over a data.json written one update per line. Pass 1
 * finds the lines of each candidate id (by exact value, so a fingerprint collision keeps both users);
 * pass 2 copies every line but the earlier ones of a repeated id. Both work on bytes in reused buffers:
 * only pass 1 decodes ids (with the dataset reader's scanners: a plain string is sliced, one with escapes
 * or non-ASCII goes through JSON.parse), and lines are copied without becoming strings. Memory: one entry per candidate id and line, and two 1 MiB buffers.
 */
export async function dedupeUpdates(file: string, candidates: { has(id: string | number): boolean }): Promise<{ removed: number; bytes: number; sha256: string }> {
  // Pass 1: the lines of each candidate id; every one but the last is dropped.
  const seen = new Map<string | number, number[]>();
  let n = 0;
  await eachLine(file, (b, s, e) => {
    const at = idStart(b, s, e);
    if (at < 0) return;
    const id = readId(b, at, e);
    if (candidates.has(id)) {
      const lines = seen.get(id);
      if (lines === undefined) seen.set(id, [n]);
      else lines.push(n);
    }
    n++;
  });
  const dropped: number[] = [];
  for (const lines of seen.values()) for (let k = 0; k < lines.length - 1; k++) dropped.push(lines[k]!);
  const drop = Float64Array.from(dropped).sort();
  let next = 0;
  const out = `${file}.dedupe`;
  // Written synchronously from one reused buffer, as the writer itself does.
  const fd = openSync(out, "wx");
  const hash = createHash("sha256");
  const buf = Buffer.allocUnsafe(BUFFER_BYTES);
  let used = 0;
  let bytes = 0;
  let removed = 0;
  let kept = 0;
  const writeOut = (b: Buffer): void => {
    hash.update(b);
    bytes += b.length;
    for (let off = 0; off < b.length; ) off += writeSync(fd, b, off, b.length - off);
  };
  const put = (b: Buffer, from: number, to: number): void => {
    if (used + (to - from) > BUFFER_BYTES) {
      writeOut(buf.subarray(0, used));
      used = 0;
    }
    if (to - from > BUFFER_BYTES) writeOut(b.subarray(from, to));
    else used += b.copy(buf, used, from, to);
  };
  try {
    n = 0;
    await eachLine(file, (b, s, e) => {
      const at = idStart(b, s, e);
      if (at < 0) {
        put(b, s, e);
      } else {
        // Pass 2 needs no ids: the dropped line numbers come in order.
        const line = n++;
        if (next < drop.length && drop[next] === line) {
          next++;
          removed++;
          return;
        }
        // The first kept update has no leading comma, whichever line it was; the others have one.
        if (kept > 0) put(COMMA, 0, 1);
        put(b, b[s] === 0x2c ? s + 1 : s, e);
        kept++;
      }
      put(NEWLINE, 0, 1);
    });
    writeOut(buf.subarray(0, used));
    fsyncSync(fd);
    closeSync(fd);
    await rename(out, file);
  } catch (err) {
    try {
      closeSync(fd);
    } catch {
      // Already closed: removing the file is what matters.
    }
    await rm(out, { force: true });
    throw err;
  }
  return { removed, bytes, sha256: hash.digest("hex") };
}

const BUFFER_BYTES = 1 << 20;
const COMMA = Buffer.from(",");
const NEWLINE = Buffer.from("\n");

/** Calls `line(b, start, end)` for every line of the file (without its '\n'), in order. */
async function eachLine(file: string, line: (b: Buffer, start: number, end: number) => void): Promise<void> {
  const fh = await open(file, "r");
  try {
    let buf = Buffer.allocUnsafe(BUFFER_BYTES);
    let carry = 0;
    for (;;) {
      if (carry === buf.length) {
        // A line longer than the buffer: grow it.
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, carry);
        buf = bigger;
      }
      const { bytesRead } = await fh.read(buf, carry, buf.length - carry, null);
      const end = carry + bytesRead;
      let s = 0;
      for (;;) {
        const nl = buf.indexOf(0x0a, s);
        if (nl < 0 || nl >= end) break;
        line(buf, s, nl);
        s = nl + 1;
      }
      if (bytesRead === 0) {
        if (s < end) line(buf, s, end);
        return;
      }
      carry = end - s;
      buf.copy(buf, 0, s, end);
    }
  } finally {
    await fh.close();
  }
}

/** Where the id of an update line (`["id",…]` or `,["id",…]`) starts; -1 for the header and trailer. */
function idStart(b: Buffer, s: number, e: number): number {
  if (s < e && b[s] === 0x5b) return s + 1;
  if (s + 1 < e && b[s] === 0x2c && b[s + 1] === 0x5b) return s + 2;
  return -1;
}

/** The id at b[at] exactly as JSON gives it (the dataset reader's scanners: escapes and UTF-8 decoded, numbers as JSON.parse reads them). */
function readId(b: Buffer, at: number, e: number): string | number {
  if (b[at] === 0x22) return readString(b, at, e);
  scanNumber(b, at, e);
  return numberValue[0]!;
}
