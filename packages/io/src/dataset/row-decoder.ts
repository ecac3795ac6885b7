/**
 * The hot loop: decodes the rows of the `data` array from one window of bytes straight into a reused
 * Float32Array. It is a plain synchronous function over the whole window. A row cut by the window end is
 * retried from its first byte once more bytes arrived, so nothing of a partial row (id, extras, stats) is
 * committed before its closing bracket.
 */
import { DatasetError, ScanFault } from "./dataset-error.js";
import { USE_CATEGORY, USE_EXTRA, USE_ID, USE_NUMBER, type ColumnPlan } from "./column-plan.js";
import type { IdSink } from "./duplicate-counter.js";
import { idHash } from "./id-hash.js";
import { BAIL, compileArrayRow, type CompiledRow, type RowState } from "./row-program.js";
import { INCOMPLETE, cursor, literal, numberValue, readIdString, readString, scanLiteral, scanNumber, skipComposite, skipString, skipValue, skipWs } from "./json-scan.js";

export const NEED_MORE = 0;
export const BATCH_FULL = 1;
export const ARRAY_END = 2;

const BEFORE_FIRST = 0;
const AFTER_ELEMENT = 1;
const AFTER_COMMA = 2;

// Per-row stat events, committed with the row.
const MISSING = 0;
const INVALID = 1;
const UNKNOWN = 2;

// categoryCell could not decide from the bytes alone.
const NO_FAST_PATH = -2;

/** Rows of one segment decoded elsewhere (a decode worker), in the shape appendRows takes. */
export interface DecodedRows {
  rows: number;
  /** rows x width. */
  features: Float32Array;
  userIds: (string | number)[];
  /** Per extra column, length rows. */
  extras: unknown[][];
  /** [h1, h2] per row (id-hash.ts), when duplicates are tracked. */
  hashes?: Uint32Array | undefined;
  missing: Float64Array;
  invalid: Float64Array;
  unknown: Float64Array;
}

export interface RowDecoderOptions {
  /** Decode array rows with code compiled for the plan (row-program.ts); default true. Same results either way. */
  compile?: boolean;
}

export class RowDecoder implements RowState {
  readonly features: Float32Array;
  userIds: (string | number)[] = [];
  extras: unknown[][];
  /** Rows in the current batch. */
  rows = 0;
  /** Rows committed before the current batch. */
  rowBase = 0;
  status = NEED_MORE;
  /** Absolute byte offset of the current window's first byte, for error messages. */
  base = 0;
  readonly missing: Float64Array;
  readonly invalid: Float64Array;
  readonly unknown: Float64Array;

  private state = BEFORE_FIRST;
  private readonly width: number;
  private readonly ncols: number;
  // The row being decoded (public for the compiled row, RowState; not part of the package's API).
  rowId: string | number | undefined = undefined;
  // The id's fingerprint when the fast id path computed it; otherwise commit() hashes the id.
  rowHashed = false;
  readonly rowHash = new Uint32Array(2);
  private readonly rowExtras: unknown[];
  readonly pendCol: Int32Array;
  readonly pendKind: Uint8Array;
  pendN = 0;
  private readonly compiled: CompiledRow | undefined;
  private readonly seen: Uint32Array;
  private stamp = 0;
  /** Per column used only as a categorical feature: its categories' UTF-8 bytes, index = category. */
  private readonly categoryBytes: (Buffer[] | undefined)[];

  constructor(
    readonly plan: ColumnPlan,
    readonly batchSize: number,
    private readonly counter: IdSink | undefined,
    options: RowDecoderOptions = {},
  ) {
    this.width = plan.width;
    this.ncols = plan.columns.length;
    this.features = new Float32Array(batchSize * plan.width);
    this.extras = plan.extraColumns.map(() => []);
    this.rowExtras = plan.extraColumns.map(() => null);
    this.pendCol = new Int32Array(this.ncols * 2 + 8);
    this.pendKind = new Uint8Array(this.ncols * 2 + 8);
    this.seen = new Uint32Array(this.ncols);
    this.missing = new Float64Array(this.ncols);
    this.invalid = new Float64Array(this.ncols);
    this.unknown = new Float64Array(this.ncols);
    // Few categories: comparing bytes beats decoding each cell to a string for a Map lookup.
    // (Only for categories that survive UTF-8: a lone surrogate would encode to the bytes of U+FFFD.)
    this.categoryBytes = plan.categories.map((m, col) => {
      if (m === undefined || plan.uses[col] !== USE_CATEGORY || m.size > 64) return undefined;
      const table: Buffer[] = [];
      for (const [c, k] of m) {
        const bytes = Buffer.from(c, "utf8");
        if (bytes.toString("utf8") !== c) return undefined;
        table[k] = bytes;
      }
      return table;
    });
    this.compiled = options.compile === false ? undefined : compileArrayRow(plan, this.categoryBytes);
  }

  /** Starts a new batch; the features array is reused, ids and extras are fresh arrays the consumer may keep. */
  nextBatch(): void {
    this.rowBase += this.rows;
    this.rows = 0;
    this.userIds = [];
    this.extras = this.plan.extraColumns.map(() => []);
  }

  get totalRows(): number {
    return this.rowBase + this.rows;
  }

  /** True between rows (no row started and not waiting for a ',' or ']'): where a decoded segment may be appended. */
  get betweenRows(): boolean {
    return this.state !== AFTER_ELEMENT;
  }

  /** For a decoder that starts in the middle of the data array, right after a row's ',' (a decode worker). */
  startAfterComma(): void {
    this.state = AFTER_COMMA;
  }

  /** Clears the per-column counters (a decode worker reports them per segment). */
  resetStats(): void {
    this.missing.fill(0);
    this.invalid.fill(0);
    this.unknown.fill(0);
  }

  /**
   * Appends rows [from, from + n) of a segment another decoder decoded from exactly the bytes that follow,
   * as many as fit in this batch; returns n. The segment's counters and id fingerprints are added by
   * addSegmentStats, once. Leaves the decoder after a ','.
   */
  appendRows(seg: DecodedRows, from: number): number {
    const n = Math.min(seg.rows - from, this.batchSize - this.rows);
    const w = this.width;
    if (w > 0) this.features.set(seg.features.subarray(from * w, (from + n) * w), this.rows * w);
    const ids = this.userIds;
    const src = seg.userIds;
    for (let i = from; i < from + n; i++) ids.push(src[i]!);
    for (let k = 0; k < this.extras.length; k++) {
      const out = this.extras[k]!;
      const col = seg.extras[k]!;
      for (let i = from; i < from + n; i++) out.push(col[i]);
    }
    this.rows += n;
    this.state = AFTER_COMMA;
    return n;
  }

  /** Adds a decoded segment's per-column counters and user id fingerprints. */
  addSegmentStats(seg: DecodedRows): void {
    for (let c = 0; c < this.ncols; c++) {
      this.missing[c]! += seg.missing[c]!;
      this.invalid[c]! += seg.invalid[c]!;
      this.unknown[c]! += seg.unknown[c]!;
    }
    if (this.counter !== undefined && seg.hashes !== undefined) {
      this.counter.addHashes(seg.hashes, seg.rows);
    }
  }

  /** Decodes rows from b[p..end); returns where it stopped and sets `status`. */
  decode(b: Buffer, p: number, end: number): number {
    for (;;) {
      if (this.rows === this.batchSize) {
        this.status = BATCH_FULL;
        return p;
      }
      p = skipWs(b, p, end);
      if (p >= end) {
        this.status = NEED_MORE;
        return p;
      }
      const c = b[p]!;
      if (this.state === AFTER_ELEMENT) {
        if (c === 0x2c) {
          this.state = AFTER_COMMA;
          p++;
          continue;
        }
        if (c === 0x5d) {
          this.status = ARRAY_END;
          return p + 1;
        }
        throw new ScanFault(p, "',' or ']' after a row");
      }
      if (c === 0x5d && this.state === BEFORE_FIRST) {
        this.status = ARRAY_END;
        return p + 1;
      }
      let q: number;
      if (c === 0x5b) q = this.arrayRow(b, p, end);
      else if (c === 0x7b) q = this.objectRow(b, p, end);
      else throw this.rowError(p, "DATASET_ROW_INVALID", `is neither an array nor an object (starts with ${JSON.stringify(String.fromCharCode(c))})`, "Rows in data must be arrays of values in metadata.columns order, or objects keyed by column name.");
      if (q === INCOMPLETE) {
        this.status = NEED_MORE;
        return p;
      }
      this.state = AFTER_ELEMENT;
      p = q;
    }
  }

  private arrayRow(b: Buffer, p: number, end: number): number {
    const start = p;
    const fbase = this.rows * this.width;
    this.pendN = 0;
    this.rowId = undefined;
    this.rowHashed = false;
    if (this.compiled !== undefined) {
      const q = this.compiled(b, p, end, fbase);
      if (q !== BAIL) {
        if (q === INCOMPLETE) return INCOMPLETE;
        this.commit(start);
        return q;
      }
      // Decoded again below from the row's first byte: what the compiled row wrote is rewritten.
      this.pendN = 0;
      this.rowId = undefined;
      this.rowHashed = false;
    }
    const ncols = this.ncols;
    const uses = this.plan.uses;
    const slot = this.plan.slot;
    const features = this.features;
    let col = 0;
    p = skipWs(b, p + 1, end);
    if (p >= end) return INCOMPLETE;
    if (b[p] !== 0x5d) {
      for (;;) {
        const c = b[p]!;
        const use = col < ncols ? uses[col]! : 0;
        if (use === USE_NUMBER) {
          // The common cases inline: a numeric feature holding a number, true, false or null.
          if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
            p = scanNumber(b, p, end);
            if (p === INCOMPLETE) return INCOMPLETE;
            features[fbase + slot[col]!] = numberValue[0]!;
          } else if (c === 0x74 || c === 0x66 || c === 0x6e) {
            p = scanLiteral(b, p, end);
            if (p === INCOMPLETE) return INCOMPLETE;
            const lit = literal.value;
            if (lit >= 0) features[fbase + slot[col]!] = lit;
            else this.apply(col, fbase, null, false);
          } else {
            p = this.value(b, p, end, col, fbase);
            if (p === INCOMPLETE) return INCOMPLETE;
          }
        } else if (use === 0) {
          if (c === 0x22) {
            // Unused string cells (timestamps, keys) are most of the bytes: skipped inline.
            let q = p + 1;
            for (;;) {
              if (q >= end) return INCOMPLETE;
              const d = b[q]!;
              if (d === 0x22) break;
              if (d === 0x5c) q += 2;
              else if (d < 0x20) throw new ScanFault(q, "no control character inside a string");
              else q++;
            }
            p = q + 1;
          } else {
            p = skipValue(b, p, end);
            if (p === INCOMPLETE) return INCOMPLETE;
          }
        } else if (use === USE_ID && c === 0x22) {
          // The id: decoded and fingerprinted in one pass over its bytes.
          const id = readIdString(b, p, end);
          p = cursor.end;
          if (p === INCOMPLETE) return INCOMPLETE;
          this.rowId = id;
          this.rowHash[0] = idHash[0]!;
          this.rowHash[1] = idHash[1]!;
          this.rowHashed = true;
        } else {
          p = this.value(b, p, end, col, fbase);
          if (p === INCOMPLETE) return INCOMPLETE;
        }
        col++;
        if (p >= end) return INCOMPLETE;
        let d = b[p]!;
        if (d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) {
          p = skipWs(b, p, end);
          if (p >= end) return INCOMPLETE;
          d = b[p]!;
        }
        if (d === 0x2c) {
          if (++p >= end) return INCOMPLETE;
          d = b[p]!;
          if (d === 0x20 || d === 0x0a || d === 0x0d || d === 0x09) {
            p = skipWs(b, p, end);
            if (p >= end) return INCOMPLETE;
          }
          continue;
        }
        if (d === 0x5d) break;
        throw new ScanFault(p, "',' or ']' inside a row");
      }
    }
    if (col !== ncols) {
      throw this.rowError(start, "DATASET_ROW_LENGTH", `has ${col} values, expected ${ncols} (one per metadata.columns entry)`, "Every row must have exactly one value per column in metadata.columns; check the dataset export.");
    }
    this.commit(start);
    return p + 1;
  }

  private objectRow(b: Buffer, p: number, end: number): number {
    const start = p;
    const fbase = this.rows * this.width;
    const byName = this.plan.byName;
    this.pendN = 0;
    this.rowId = undefined;
    this.rowHashed = false;
    const stamp = ++this.stamp;
    p = skipWs(b, p + 1, end);
    if (p >= end) return INCOMPLETE;
    if (b[p] !== 0x7d) {
      for (;;) {
        if (b[p] !== 0x22) throw new ScanFault(p, "a quoted key");
        const key = readString(b, p, end);
        p = cursor.end;
        if (p === INCOMPLETE) return INCOMPLETE;
        p = skipWs(b, p, end);
        if (p >= end) return INCOMPLETE;
        if (b[p] !== 0x3a) throw new ScanFault(p, "':' after a key");
        p = skipWs(b, p + 1, end);
        if (p >= end) return INCOMPLETE;
        const col = byName.get(key);
        if (col === undefined || this.plan.uses[col] === 0) {
          p = skipValue(b, p, end);
        } else {
          p = this.value(b, p, end, col, fbase);
          this.seen[col] = stamp;
        }
        if (p === INCOMPLETE) return INCOMPLETE;
        p = skipWs(b, p, end);
        if (p >= end) return INCOMPLETE;
        const d = b[p]!;
        if (d === 0x2c) {
          p = skipWs(b, p + 1, end);
          if (p >= end) return INCOMPLETE;
          continue;
        }
        if (d === 0x7d) break;
        throw new ScanFault(p, "',' or '}' inside a row");
      }
    }
    // Absent keys are missing values.
    const used = this.plan.used;
    for (let k = 0; k < used.length; k++) {
      const col = used[k]!;
      if (this.seen[col] !== stamp) this.apply(col, fbase, undefined, false);
    }
    this.commit(start);
    return p + 1;
  }

  /** Any value for a column with a use other than "numeric feature holding a number". */
  value(b: Buffer, p: number, end: number, col: number, fbase: number): number {
    const c = b[p]!;
    let v: unknown;
    if (c === 0x22) {
      const uses = this.plan.uses[col]!;
      if (uses === USE_NUMBER) {
        // Only "true"/"false" mean something to a numeric feature; other strings are invalid, not decoded.
        const q = skipString(b, p, end);
        if (q === INCOMPLETE) return INCOMPLETE;
        const len = q - p - 2;
        if (len === 4 && b[p + 1] === 0x74 && b[p + 2] === 0x72 && b[p + 3] === 0x75 && b[p + 4] === 0x65) this.apply(col, fbase, true, false);
        else if (len === 5 && b[p + 1] === 0x66 && b[p + 2] === 0x61 && b[p + 3] === 0x6c && b[p + 4] === 0x73 && b[p + 5] === 0x65) this.apply(col, fbase, false, false);
        else if (hasBackslash(b, p + 1, q - 1)) this.apply(col, fbase, readString(b, p, end), false);
        else this.apply(col, fbase, "", true);
        return q;
      }
      const table = this.categoryBytes[col];
      if (table !== undefined) {
        const q = this.categoryCell(b, p, end, col, fbase, table);
        if (q !== NO_FAST_PATH) return q;
      }
      v = readString(b, p, end);
      p = cursor.end;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      p = scanNumber(b, p, end);
      v = numberValue[0];
    } else if (c === 0x5b || c === 0x7b) {
      const q = skipComposite(b, p, end);
      if (q === INCOMPLETE) return INCOMPLETE;
      v = JSON.parse(b.toString("utf8", p, q));
      p = q;
    } else {
      p = scanLiteral(b, p, end);
      v = literal.value === 1 ? true : literal.value === 0 ? false : null;
    }
    if (p === INCOMPLETE) return INCOMPLETE;
    this.apply(col, fbase, v, false);
    return p;
  }

  /**
   * A string cell of a categorical-only column, matched by its bytes: no string is made. Equal UTF-8
   * bytes are equal strings; a cell with an escape, or a non-ASCII cell that matched nothing, takes the
   * decoding path (NO_FAST_PATH) so the result is exactly what readString + the Map give.
   */
  private categoryCell(b: Buffer, p: number, end: number, col: number, fbase: number, table: Buffer[]): number {
    // One pass to the closing quote, noting what the byte match cannot decide (an escape, non-ASCII).
    const from = p + 1;
    let q = from;
    let ascii = true;
    for (;;) {
      if (q >= end) return INCOMPLETE;
      const c = b[q]!;
      if (c === 0x22) break;
      if (c === 0x5c) return NO_FAST_PATH;
      if (c < 0x20) throw new ScanFault(q, "no control character inside a string");
      if (c >= 0x80) ascii = false;
      q++;
    }
    const len = q - from;
    let found = -1;
    for (let k = 0; k < table.length; k++) {
      const t = table[k]!;
      if (t.length !== len) continue;
      let i = 0;
      while (i < len && t[i] === b[from + i]) i++;
      if (i === len) {
        found = k;
        break;
      }
    }
    if (found < 0 && !ascii) return NO_FAST_PATH;
    const at = fbase + this.plan.slot[col]!;
    const features = this.features;
    for (let i = at, stop = at + this.plan.categoryCount[col]!; i < stop; i++) features[i] = 0;
    if (found < 0) this.pend(col, UNKNOWN);
    else features[at + found] = 1;
    return q + 1;
  }

  /** Applies a decoded value to every use of its column; `invalidString` marks a string not worth decoding. */
  private apply(col: number, fbase: number, v: unknown, invalidString: boolean): void {
    const plan = this.plan;
    const uses = plan.uses[col]!;
    if (uses & USE_ID) this.rowId = v as string | number;
    if (uses & USE_EXTRA) this.rowExtras[plan.extra[col]!] = v === undefined ? null : v;
    if (uses & USE_NUMBER) {
      const at = fbase + plan.slot[col]!;
      if (typeof v === "number") this.features[at] = v;
      else if (v === true || v === "true") this.features[at] = 1;
      else if (v === false || v === "false") this.features[at] = 0;
      else {
        this.features[at] = plan.fill[col]!;
        this.pend(col, v === null || v === undefined ? MISSING : INVALID);
      }
    } else if (uses & USE_CATEGORY) {
      const at = fbase + plan.slot[col]!;
      this.features.fill(0, at, at + plan.categoryCount[col]!);
      if (v === null || v === undefined) this.pend(col, MISSING);
      else if (invalidString || (typeof v === "object")) this.pend(col, INVALID);
      else {
        const k = plan.categories[col]!.get(typeof v === "string" ? v : String(v));
        if (k === undefined) this.pend(col, UNKNOWN);
        else this.features[at + k] = 1;
      }
    }
  }

  private pend(col: number, kind: number): void {
    const n = this.pendN;
    if (n < this.pendCol.length) {
      this.pendCol[n] = col;
      this.pendKind[n] = kind;
      this.pendN = n + 1;
    }
  }

  private commit(start: number): void {
    const id = this.rowId;
    if (typeof id !== "string" && typeof id !== "number") {
      throw this.rowError(start, "DATASET_USER_ID_INVALID", id === undefined ? "has no user_id" : `has a user_id that is ${id === null ? "null" : typeof id}, not a string or number`, "Every row needs a user_id string or number; check the dataset export.");
    }
    for (let k = 0; k < this.pendN; k++) {
      const col = this.pendCol[k]!;
      const kind = this.pendKind[k]!;
      if (kind === MISSING) this.missing[col]!++;
      else if (kind === INVALID) this.invalid[col]!++;
      else this.unknown[col]!++;
    }
    const counter = this.counter;
    if (counter !== undefined) {
      if (this.rowHashed) counter.addHash(this.rowHash);
      else counter.add(id);
    }
    this.rowHashed = false;
    this.userIds.push(id);
    const extras = this.extras;
    for (let k = 0; k < extras.length; k++) {
      extras[k]!.push(this.rowExtras[k]);
      this.rowExtras[k] = null;
    }
    this.rows++;
  }

  private rowError(pos: number, code: "DATASET_ROW_LENGTH" | "DATASET_ROW_INVALID" | "DATASET_USER_ID_INVALID", what: string, hint: string): DatasetError {
    const row = this.totalRows;
    const byteOffset = this.base + pos;
    return new DatasetError(code, `Row ${row} of data (byte offset ${byteOffset}) ${what}`, hint, { row, byteOffset });
  }
}

function hasBackslash(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] === 0x5c) return true;
  return false;
}
