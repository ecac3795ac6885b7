/**
 * The document level of a dataset body, `{"metadata": {...}, "data": [...]}` in any key order, as a
 * resumable state machine fed one window at a time. `metadata` is captured and JSON.parsed (it is small);
 * `data` goes to the RowDecoder once columns are known, else its raw bytes go to a Spool; other keys are
 * skipped.
 */
import { DatasetError, ScanFault } from "./dataset-error.js";
import { ARRAY_END, BATCH_FULL, type RowDecoder } from "./row-decoder.js";
import { INCOMPLETE, readString, cursor, skipWs } from "./json-scan.js";
import { ValueSkipper } from "./value-skipper.js";

export const DOC_NEED_MORE = 0;
export const DOC_BATCH_FULL = 1;
export const DOC_DONE = 2;

const START = 0;
const FIRST_KEY = 1;
const KEY = 2;
const AFTER_VALUE = 3;
const DATA_OPEN = 4;
const ROWS = 5;
const SKIP = 6;
const DONE = 7;

export interface DocumentHooks {
  /** metadata was parsed; returns the decoder for the rows (throws on a bad header or missing column). */
  onMetadata(metadata: unknown): RowDecoder;
  /** A data array starts before metadata: where its raw bytes go. */
  spoolSink(): (b: Buffer, from: number, to: number) => void;
}

const EMPTY = Buffer.alloc(0);

export class DocumentParser {
  private window: Buffer = EMPTY;
  private pos = 0;
  /** Absolute offset of window[0]. */
  private base = 0;
  private state: number;
  private skipper: ValueSkipper | undefined;
  private captured: Buffer[] = [];
  private capturing = false;
  decoder: RowDecoder | undefined;
  sawMetadata = false;
  sawData = false;
  spooled = false;
  private readonly dataOnly: boolean;

  /** `dataOnly` replays a spooled data array (which starts at absolute offset `base`). */
  constructor(
    private readonly hooks: DocumentHooks,
    dataOnly?: { decoder: RowDecoder; base: number },
  ) {
    this.dataOnly = dataOnly !== undefined;
    if (dataOnly) {
      this.state = DATA_OPEN;
      this.decoder = dataOnly.decoder;
      this.base = dataOnly.base;
      this.sawData = true;
    } else {
      this.state = START;
    }
  }

  /** Absolute offset of the next unconsumed byte. */
  get offset(): number {
    return this.base + this.pos;
  }

  get done(): boolean {
    return this.state === DONE;
  }

  /**
   * True when the parser has consumed every byte before absolute `offset` (and none after), is inside the
   * data array and between rows: the bytes from `offset` on may be decoded elsewhere and appended.
   */
  betweenRowsAt(offset: number): boolean {
    return this.state === ROWS && this.pos === this.window.length && this.base + this.pos === offset && this.decoder !== undefined && this.decoder.betweenRows;
  }

  /** Inside the data array, with the columns known. */
  get inRows(): boolean {
    return this.state === ROWS && this.decoder !== undefined;
  }

  /** Absolute offset just past the last byte pushed. */
  get pushedEnd(): number {
    return this.base + this.window.length;
  }

  /** The bytes up to absolute `offset` were decoded elsewhere (see betweenRowsAt): continue after them. */
  skipTo(offset: number): void {
    this.base = offset;
    this.window = EMPTY;
    this.pos = 0;
  }

  /**
   * Appends a chunk. A tail kept by retain() sits at the front of a reused scratch buffer and the chunk is
   * copied after it, so there is no allocation per chunk.
   */
  push(chunk: Buffer): void {
    const rest = this.window.length - this.pos;
    this.base += this.pos;
    if (rest === 0) {
      this.window = chunk;
    } else {
      // retain() left the tail at scratch[0..rest).
      const need = rest + chunk.length;
      if (this.scratch.length < need) {
        const next = Buffer.allocUnsafe(Math.max(need, this.scratch.length * 2, 64 * 1024));
        this.scratch.copy(next, 0, 0, rest);
        this.scratch = next;
      }
      chunk.copy(this.scratch, rest);
      this.window = this.scratch.subarray(0, need);
    }
    this.pos = 0;
  }

  /**
   * Called once a chunk is used up: copies the unconsumed tail (less than a row) to the scratch buffer, so
   * a source may reuse its chunk's memory; nothing else keeps a reference into a window (strings are copied
   * out, captures and spools copy).
   */
  retain(): void {
    const rest = this.window.length - this.pos;
    if (rest === 0) {
      // Let go of the chunk: its buffer may be reused or transferred to another thread (then detached).
      this.base += this.pos;
      this.pos = 0;
      this.window = EMPTY;
      return;
    }
    if (this.window.buffer === this.scratch.buffer && this.window.byteOffset === this.scratch.byteOffset) {
      this.scratch.copyWithin(0, this.pos, this.window.length);
    } else {
      if (this.scratch.length < rest) this.scratch = Buffer.allocUnsafe(Math.max(rest, this.scratch.length * 2, 64 * 1024));
      this.window.copy(this.scratch, 0, this.pos);
    }
    this.base += this.pos;
    this.pos = 0;
    this.window = this.scratch.subarray(0, rest);
  }

  private scratch: Buffer = Buffer.alloc(0);

  /** Runs until the window is used up, a batch is full, or the document ends. */
  run(): number {
    try {
      return this.step();
    } catch (err) {
      if (err instanceof ScanFault) throw this.malformed(err);
      throw err;
    }
  }

  /** The stream ended: anything but a finished document is truncation (or trailing bytes). */
  finish(rowsRead: number): void {
    if (this.state !== DONE) {
      const at = this.base + this.window.length;
      throw new DatasetError(
        "DATASET_TRUNCATED",
        `The dataset body ended early at byte offset ${at}, ${this.state === ROWS ? `inside data after ${rowsRead} complete rows` : "before the document was complete"}`,
        "The download was cut short: retry the stage; if it keeps happening, check the server or proxy in between.",
        { byteOffset: at, row: rowsRead },
      );
    }
  }

  private step(): number {
    const b = this.window;
    const end = b.length;
    let p = this.pos;
    for (;;) {
      switch (this.state) {
        case ROWS: {
          const decoder = this.decoder!;
          decoder.base = this.base;
          p = decoder.decode(b, p, end);
          this.pos = p;
          if (decoder.status === BATCH_FULL) return DOC_BATCH_FULL;
          if (decoder.status !== ARRAY_END) return DOC_NEED_MORE;
          this.state = this.dataOnly ? DONE : AFTER_VALUE;
          continue;
        }
        case SKIP: {
          const skipper = this.skipper!;
          p = skipper.feed(b, p, end);
          this.pos = p;
          if (!skipper.done) return DOC_NEED_MORE;
          this.skipper = undefined;
          if (this.capturing) this.endMetadata(p);
          this.state = AFTER_VALUE;
          continue;
        }
        default:
          break;
      }
      p = skipWs(b, p, end);
      this.pos = p;
      if (p >= end) return DOC_NEED_MORE;
      const c = b[p]!;
      switch (this.state) {
        case START:
          if (c !== 0x7b) throw new ScanFault(p, "'{' (a dataset is a JSON object)");
          p++;
          this.state = FIRST_KEY;
          break;
        case FIRST_KEY:
        case KEY: {
          if (c === 0x7d && this.state === FIRST_KEY) {
            p++;
            this.state = DONE;
            break;
          }
          if (c !== 0x22) throw new ScanFault(p, "a quoted key");
          const key = readString(b, p, end);
          let q = cursor.end;
          if (q === INCOMPLETE) return DOC_NEED_MORE;
          q = skipWs(b, q, end);
          if (q >= end) return DOC_NEED_MORE;
          if (b[q] !== 0x3a) throw new ScanFault(q, "':' after a key");
          q = skipWs(b, q + 1, end);
          if (q >= end) return DOC_NEED_MORE;
          p = q;
          this.startValue(key, b, p);
          break;
        }
        case AFTER_VALUE:
          if (c === 0x2c) this.state = KEY;
          else if (c === 0x7d) this.state = DONE;
          else throw new ScanFault(p, "',' or '}' after a value");
          p++;
          break;
        case DATA_OPEN:
          if (c !== 0x5b) {
            throw new DatasetError("DATASET_SHAPE_INVALID", `"data" is not an array (byte offset ${this.base + p})`, "The dataset's data must be an array of rows.", { byteOffset: this.base + p });
          }
          p++;
          this.state = ROWS;
          break;
        case DONE:
          throw new ScanFault(p, "nothing after the end of the document");
        default:
          throw new Error(`unreachable document state ${this.state}`);
      }
      this.pos = p;
    }
  }

  private startValue(key: string, b: Buffer, p: number): void {
    if (key === "metadata" || key === "data") {
      const seen = key === "metadata" ? this.sawMetadata : this.sawData;
      if (seen) throw new DatasetError("DATASET_SHAPE_INVALID", `The dataset has a second "${key}" key (byte offset ${this.base + p})`, `A dataset has exactly one "${key}".`, { byteOffset: this.base + p });
    }
    if (key === "metadata") {
      this.sawMetadata = true;
      this.capturing = true;
      this.captured = [];
      this.skipper = new ValueSkipper((buf, from, to) => this.captured.push(Buffer.from(buf.subarray(from, to))));
      this.state = SKIP;
    } else if (key === "data") {
      this.sawData = true;
      if (this.decoder !== undefined) {
        this.state = DATA_OPEN;
      } else {
        if (b[p] !== 0x5b) {
          throw new DatasetError("DATASET_SHAPE_INVALID", `"data" is not an array (byte offset ${this.base + p})`, "The dataset's data must be an array of rows.", { byteOffset: this.base + p });
        }
        this.spooled = true;
        this.spoolBase = this.base + p;
        this.skipper = new ValueSkipper(this.hooks.spoolSink());
        this.state = SKIP;
      }
    } else {
      this.skipper = new ValueSkipper();
      this.state = SKIP;
    }
  }

  /** Absolute offset where a spooled data array starts. */
  spoolBase = 0;

  private endMetadata(p: number): void {
    this.capturing = false;
    const text = Buffer.concat(this.captured).toString("utf8");
    this.captured = [];
    let metadata: unknown;
    try {
      metadata = JSON.parse(text);
    } catch (err) {
      throw new DatasetError(
        "DATASET_JSON_MALFORMED",
        `The dataset's metadata (ending at byte offset ${this.base + p}) is not valid JSON: ${(err as Error).message}`,
        "The dataset body is corrupt: retry the stage, or check the dataset export.",
        { byteOffset: this.base + p },
        { cause: err },
      );
    }
    this.decoder = this.hooks.onMetadata(metadata);
  }

  private malformed(fault: ScanFault): DatasetError {
    const byteOffset = this.base + fault.pos;
    const found = fault.pos < this.window.length ? JSON.stringify(String.fromCharCode(this.window[fault.pos]!)) : "the end";
    const inRows = this.state === ROWS && this.decoder !== undefined;
    const row = inRows ? this.decoder!.totalRows : undefined;
    return new DatasetError(
      "DATASET_JSON_MALFORMED",
      `Malformed JSON at byte offset ${byteOffset}${row === undefined ? "" : ` (row ${row} of data)`}: expected ${fault.expected}, found ${found}`,
      "The dataset body is not valid JSON: retry the stage; if it persists, check the dataset export.",
      { byteOffset, ...(row === undefined ? {} : { row }) },
      { cause: fault },
    );
  }
}
