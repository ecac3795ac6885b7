import { createHash, randomBytes, type Hash } from "node:crypto";
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { DataJsonWriteError, showId } from "./data-json-error.js";
import { dedupeUpdates } from "./dedupe-pass.js";
import { formatId, formatNumber } from "./format-value.js";

export type UpdateValue = string | number | boolean | null;

export interface DataJsonWriterOptions {
  category?: string;
  properties: string[];
}

/** Ids that may repeat: the reader's `stats().duplicates`, or any Set of ids. */
export interface DedupeCandidates {
  readonly size: number;
  has(id: string | number): boolean;
}

export interface CloseOptions {
  /**
   * User ids that occurred more than once (the reader's `stats().duplicates`): before the rename, a pass
   * over the file keeps only the last update of each ("last one wins"). Repeats are confirmed by exact id,
   * so a fingerprint collision never drops a user. Skipped when `size` is 0.
   */
  dedupe?: DedupeCandidates;
}

export interface DataJsonResult {
  path: string;
  bytes: number;
  sha256: string;
  /** Updates in the final file. */
  rows: number;
  /** Updates removed by the dedupe pass. */
  duplicatesRemoved: number;
}

export interface DataJsonWriter {
  /** One update: the user id and one value per property. */
  write(userId: string | number, ...values: UpdateValue[]): void;
  /** Fast path for one numeric property: ids[i] gets scores[i], for i < count (default ids.length). */
  writeScores(userIds: readonly (string | number)[], scores: Float32Array | Float64Array, count?: number): void;
  /** Flushes, fsyncs and renames the temp file into place. */
  close(options?: CloseOptions): Promise<DataJsonResult>;
  /** Removes the temp file; the target path is left untouched. */
  abort(): Promise<void>;
}

// Buffer's native latin1 write (no encoding lookup per call). Not in @types/node.
const latin1Write = (Buffer.prototype as unknown as { latin1Write(this: Buffer, s: string, offset: number): number }).latin1Write;

/**
 * Writes formatNumber(v) for v in [0, 1] as bytes: "0", "1", or "0." and up to 6 digits without trailing
 * zeros (the shortest text of round(v * 1e6) / 1e6, which is what String() gives for it).
 */
function writeUnitScore(out: Buffer, at: number, v: number): number {
  const k = Math.round(v * 1e6);
  if (k === 0) {
    out[at] = 0x30;
    return at + 1;
  }
  if (k >= 1_000_000) {
    out[at] = 0x31;
    return at + 1;
  }
  out[at] = 0x30;
  out[at + 1] = 0x2e;
  // Six digits (int32 arithmetic), then the trailing zeros dropped: k > 0, so one digit is not zero.
  let m = k | 0;
  for (let p = at + 7; p > at + 1; p--) {
    const q = (m / 10) | 0;
    out[p] = 0x30 + m - q * 10;
    m = q;
  }
  let end = at + 8;
  while (out[end - 1] === 0x30) end--;
  return end;
}

/**
 * Copies `id` into out at `at` when it is printable ASCII without '"' or '\\' (so its JSON text is itself
 * in quotes) and returns the end; -1 otherwise (out may then hold some of its bytes: they are overwritten).
 * A loop here is cheaper than the native latin1 write for ids of a few dozen characters.
 */
function copyPlainId(out: Buffer, at: number, id: string): number {
  const n = id.length;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return -1;
    out[at + i] = c;
  }
  return at + n;
}

// Lines are encoded straight into one reused buffer, written synchronously when full: memory stays flat
// (no growing strings, no garbage buffers) and there is no promise per row. A line's text is at most
// 3 bytes per UTF-16 unit.
const BUFFER_BYTES = 1024 * 1024;

/**
 * Opens `path` for a streamed data.json: `{"category":...,"properties":[...],"updates":[` then one update per
 * line (which the dedupe pass relies on), written to a temp file beside `path` and renamed on close.
 */
export async function openDataJsonWriter(path: string, opts: DataJsonWriterOptions): Promise<DataJsonWriter> {
  if (!Array.isArray(opts.properties) || opts.properties.length === 0 || opts.properties.some((p) => typeof p !== "string" || p.length === 0)) {
    throw new DataJsonWriteError("DATA_JSON_PROPERTIES_INVALID", `data.json for ${path} needs at least one non-empty property name`, "Pass properties such as [\"Rating\"] to openDataJsonWriter.", { path });
  }
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`);
  let fd: number;
  try {
    fd = openSync(temp, "wx");
  } catch (err) {
    throw ioError(`create ${temp}`, path, err);
  }
  return new StreamingDataJsonWriter(path, temp, fd, opts);
}

function ioError(what: string, path: string, err: unknown): DataJsonWriteError {
  return new DataJsonWriteError("DATA_JSON_IO", `Could not ${what} for ${path}: ${(err as Error).message}`, "Check that the output folder exists, is writable and has free space.", { path }, { cause: err });
}

class StreamingDataJsonWriter implements DataJsonWriter {
  private readonly out = Buffer.allocUnsafe(BUFFER_BYTES);
  private used = 0;
  private bytes = 0;
  private rows = 0;
  private readonly hash: Hash = createHash("sha256");
  private state: "open" | "closed" | "failed" = "open";
  private readonly width: number;

  constructor(
    private readonly path: string,
    private readonly temp: string,
    private fd: number,
    opts: DataJsonWriterOptions,
  ) {
    this.width = opts.properties.length;
    const head: Record<string, unknown> = {};
    if (opts.category !== undefined) head.category = opts.category;
    head.properties = opts.properties;
    this.put(`${JSON.stringify(head).slice(0, -1)},"updates":[\n`);
  }

  write(userId: string | number, ...values: UpdateValue[]): void {
    this.checkOpen();
    const id = this.id(userId);
    if (values.length !== this.width) {
      throw new DataJsonWriteError("DATA_JSON_VALUE_COUNT", `The update for user ${showId(userId)} has ${values.length} values, expected ${this.width} (one per property)`, "Pass one value per property name, in order.", { userId });
    }
    let line = this.rows === 0 ? `[${id}` : `,[${id}`;
    for (const v of values) {
      if (typeof v === "number") {
        if (!Number.isFinite(v)) throw notFinite(userId, v);
        line += `,${formatNumber(v)}`;
      } else if (typeof v === "string") line += `,${JSON.stringify(v)}`;
      else if (v === null || typeof v === "boolean") line += `,${String(v)}`;
      else {
        throw new DataJsonWriteError("DATA_JSON_VALUE_INVALID", `The update for user ${showId(userId)} has a value of type ${typeof v}`, "Update values must be strings, numbers, booleans or null.", { userId });
      }
    }
    this.put(`${line}]\n`);
    this.rows++;
  }

  writeScores(userIds: readonly (string | number)[], scores: Float32Array | Float64Array, count = userIds.length): void {
    this.checkOpen();
    if (this.width !== 1) {
      throw new DataJsonWriteError("DATA_JSON_VALUE_COUNT", `writeScores writes one value per update, but data.json has ${this.width} properties`, "Use write() for several properties.");
    }
    if (count > userIds.length || count > scores.length) {
      throw new DataJsonWriteError("DATA_JSON_VALUE_COUNT", `writeScores got count ${count} with ${userIds.length} ids and ${scores.length} scores`, "Pass as many ids and scores as count.");
    }
    // Validate the whole slice first, so a bad score or id leaves no partial batch behind.
    for (let i = 0; i < count; i++) {
      const v = scores[i]!;
      const id = userIds[i];
      if (typeof id !== "string") this.id(id as string | number);
      if (!Number.isFinite(v)) throw notFinite(id as string | number, v);
    }
    let rows = this.rows;
    const out = this.out;
    let used = this.used;
    for (let i = 0; i < count; i++) {
      const userId = userIds[i]!;
      // The usual row, an ASCII id that needs no escape and a score in [0, 1], is encoded byte by byte
      // straight into the buffer: no string per row. Its text is what the general path gives.
      let end = -1;
      if (typeof userId === "string" && userId.length <= 256) {
        if (used + userId.length + 40 > BUFFER_BYTES) {
          this.used = used;
          this.flush();
          used = 0;
        }
        end = copyPlainId(out, used + (rows !== 0 ? 3 : 2), userId);
      }
      if (end >= 0) {
        const v = scores[i]!;
        if (rows !== 0) out[used++] = 0x2c;
        out[used] = 0x5b;
        out[used + 1] = 0x22;
        used = end;
        out[used++] = 0x22;
        out[used++] = 0x2c;
        used = v >= 0 && v <= 1 ? writeUnitScore(out, used, v) : used + latin1Write.call(out, formatNumber(v), used);
        out[used++] = 0x5d;
        out[used++] = 0x0a;
      } else {
        this.used = used;
        this.put(`${rows === 0 ? "[" : ",["}${this.id(userId)},${formatNumber(scores[i]!)}]\n`);
        used = this.used;
      }
      rows++;
    }
    this.used = used;
    this.rows = rows;
  }

  /** Appends text to the output buffer, writing the buffer out first when the text might not fit. */
  private put(text: string): void {
    if (this.used + text.length * 3 > BUFFER_BYTES) {
      this.flush();
      if (text.length * 3 > BUFFER_BYTES) {
        this.writeOut(Buffer.from(text, "utf8"));
        return;
      }
    }
    this.used += this.out.write(text, this.used, "utf8");
  }

  async close(options: CloseOptions = {}): Promise<DataJsonResult> {
    this.checkOpen();
    this.put("]}\n");
    let removed = 0;
    let bytes: number;
    let sha256: string;
    try {
      this.flush();
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = -1;
      const dedupe = options.dedupe;
      if (dedupe !== undefined && dedupe.size > 0) {
        const out = await dedupeUpdates(this.temp, dedupe);
        removed = out.removed;
        bytes = out.bytes;
        sha256 = out.sha256;
      } else {
        bytes = this.bytes;
        sha256 = this.hash.digest("hex");
      }
      renameSync(this.temp, this.path);
    } catch (err) {
      await this.abort();
      if (err instanceof DataJsonWriteError) throw err;
      throw ioError("finish data.json", this.path, err);
    }
    this.state = "closed";
    return { path: this.path, bytes, sha256, rows: this.rows - removed, duplicatesRemoved: removed };
  }

  async abort(): Promise<void> {
    if (this.state === "closed") return;
    this.state = "failed";
    if (this.fd !== -1) {
      try {
        closeSync(this.fd);
      } catch {
        // Already closed or broken: removing the file below is what matters.
      }
      this.fd = -1;
    }
    rmSync(this.temp, { force: true });
  }

  private flush(): void {
    if (this.used === 0) return;
    const used = this.used;
    this.used = 0;
    this.writeOut(this.out.subarray(0, used));
  }

  private writeOut(buf: Buffer): void {
    this.hash.update(buf);
    try {
      let off = 0;
      while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    } catch (err) {
      this.state = "failed";
      throw ioError(`write ${this.temp}`, this.path, err);
    }
    this.bytes += buf.length;
  }

  private id(userId: string | number): string {
    if (typeof userId === "string") return JSON.stringify(userId);
    if (typeof userId === "number" && Number.isFinite(userId)) return formatId(userId);
    throw new DataJsonWriteError("DATA_JSON_USER_ID_INVALID", `A user id must be a string or a finite number, got ${showId(userId)}`, "Pass the user_id exactly as the dataset gave it.", { userId: String(userId) });
  }

  private checkOpen(): void {
    if (this.state !== "open") {
      throw new DataJsonWriteError("DATA_JSON_CLOSED", `data.json for ${this.path} is already ${this.state === "closed" ? "closed" : "aborted after an error"}`, "Open a new writer for another file.", { path: this.path });
    }
  }
}

function notFinite(userId: string | number, v: number): DataJsonWriteError {
  return new DataJsonWriteError("DATA_JSON_VALUE_NOT_FINITE", `The value for user ${showId(userId)} is ${String(v)}, which JSON cannot hold`, "Check the model output for this user: a prediction must be a finite number (NaN often means a missing feature was not filled).", { userId });
}
