import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { contract, parseDatasetHeader, redactUrl } from "@batchkit/manifest";
import { openBody, type BodyStats, type OpenBodyOptions, type ResumableBody } from "../http/index.js";
import { planColumns, type PlanInput } from "./column-plan.js";
import { DecodePool, Segmenter, WarmWorkers, type Segment, type SegmentResult } from "./decode-pool.js";
import { DatasetError } from "./dataset-error.js";
import { DOC_BATCH_FULL, DocumentParser, type DocumentHooks } from "./document-parser.js";
import { validateFeatures, type FeatureSpec } from "./feature-spec.js";
import { fileChunks } from "./file-chunks.js";
import { DuplicateCounter, type DuplicateLookup } from "./duplicate-counter.js";
import { RowDecoder } from "./row-decoder.js";
import { Spool } from "./spool.js";

export interface ReadDatasetOptions {
  features: FeatureSpec[];
  /** Raw values per row (e.g. "y_value", "random"), returned per batch as JSON.parse gives them. */
  extraColumns?: string[];
  /** Rows per batch, default 8192. */
  batchSize?: number;
  /** Default fill for missing or invalid numbers, default 0. */
  fill?: number;
  signal?: AbortSignal;
  /** Passed to openBody for URL sources (dispatcher, retry, timeouts; `compression` defaults to "auto"). */
  http?: OpenBodyOptions;
  /** Where to spool a data array that comes before metadata; default the working directory. */
  tmpDir?: string;
  /** Bytes of a data-before-metadata array held in memory before spooling to a file; default 8 MiB. */
  spoolMemoryBytes?: number;
  /**
   * Count repeated user ids; default true. Flat memory (~3 MiB, and a 2 MiB table at the end at 10M users);
   * past ~300,000 users it writes 8 bytes a user to a temp file in tmpDir, read back once at the end.
   */
  trackDuplicates?: boolean;
  /** Fingerprint bytes held in memory before duplicate counting spills to tmpDir; default 2 MiB. */
  duplicateMemoryBytes?: number;
  /** Default contract.userIdColumn ("user_id"). */
  idColumn?: string;
  /**
   * Worker threads that decode rows in parallel with this thread, which takes a share whenever it would
   * otherwise wait; default 0 (everything in this thread). Results are exactly those of decoding in order,
   * whatever the bytes. Each thread costs memory (~20-40 MB: an isolate, segments in flight), and on a
   * machine whose cores are busy or shared it may not pay: see BENCHMARKS.md. `defaultDecodeThreads()` is
   * one less than the CPUs, at most 3.
   */
  decodeThreads?: number;
  /** Body bytes read before decode workers start, so small datasets never start threads; default 8 MiB. */
  parallelMinBytes?: number;
  /** Bytes per segment handed to a decode worker; default 1 MiB. */
  segmentBytes?: number;
}

const DEFAULT_SEGMENT_BYTES = 1 << 20;
const DEFAULT_PARALLEL_MIN_BYTES = 8 << 20;

interface QueueEntry {
  segment: Segment;
  /** Set once sent to a worker; settles when it answered (never rejects: the answer is in rows or error). */
  result: Promise<void> | undefined;
  /** Its rows (or "decode it in order") are known. */
  settled: boolean;
  /** Never sent: decoded in order by the reader's own thread (the first segment, a piece without a row start). */
  here: boolean;
  rows: SegmentResult;
  error: unknown;
}

export interface RowBatch {
  rows: number;
  /** 0-based index of the first row in the dataset. */
  firstRow: number;
  userIds: (string | number)[];
  /** rows x width, row-major. REUSED: valid only until the next iteration step. */
  features: Float32Array;
  width: number;
  /** Per extra column, length rows. */
  extras: Record<string, unknown[]>;
}

export interface ColumnStats {
  missing: number;
  invalid: number;
  unknownCategory?: number;
}

export interface DatasetStats {
  rows: number;
  /** Decoded body bytes read. */
  bytes: number;
  /** Per feature column. */
  columns: Record<string, ColumnStats>;
  /** Rows whose user id was seen before (by 59-bit fingerprint), known once iteration ended. */
  duplicateUserIds: number;
  /** The repeated ids, by fingerprint: pass to the writer's close({ dedupe }) for "last one wins". */
  duplicates: DuplicateLookup;
  /** Peak memory and temp-file bytes of duplicate counting. */
  duplicateMemoryBytes: number;
  duplicateDiskBytes: number;
  /** True when data came before metadata and was spooled. */
  spooled: boolean;
  /** The HTTP layer's counters, for URL sources. */
  http?: BodyStats;
  /** True once iteration reached the end of the dataset. */
  complete: boolean;
  /** How the rows were decoded: worker threads used, segments they decoded, segments decoded in this thread. */
  decode?: { threads: number; parallelSegments: number; sequentialSegments: number };
}

export interface DatasetReader extends AsyncIterable<RowBatch> {
  /** Resolves once metadata.columns is known. */
  readonly columns: Promise<string[]>;
  /** Complete after iteration ends. */
  stats(): DatasetStats;
}

/** The `columns` promise of a reader, settled by it; a caller that only iterates never sees it reject unhandled. */
export function deferredColumns(): { promise: Promise<string[]>; resolve(columns: string[]): void; reject(err: unknown): void } {
  let resolve!: (columns: string[]) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<string[]>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** Decode threads for a process that may use every CPU: one less than the CPUs (this thread decodes too), at most 3. */
export function defaultDecodeThreads(): number {
  return Math.max(0, Math.min(3, availableParallelism() - 1));
}

/** An http(s) URL, a `file:` URL (read with one reused buffer), or a byte stream. */
export type DatasetSource = string | URL | AsyncIterable<Uint8Array>;

function isFileUrl(source: DatasetSource): source is string | URL {
  return source instanceof URL ? source.protocol === "file:" : typeof source === "string" && source.startsWith("file:");
}

/**
 * Streams a Stormly dataset body (`{"metadata": {"columns": [...]}, "data": [[...], ...]}`, keys in any
 * order, rows as arrays or objects) and yields batches of feature rows; see ReadDatasetOptions.
 */
export function readDataset(source: DatasetSource, options: ReadDatasetOptions): DatasetReader {
  return new StreamingDatasetReader(source, options);
}

class StreamingDatasetReader implements DatasetReader {
  private readonly pendingColumns = deferredColumns();
  readonly columns = this.pendingColumns.promise;
  private started = false;
  private decoder: RowDecoder | undefined;
  private bytes = 0;
  private spooled = false;
  private complete = false;
  private body: ResumableBody | undefined;
  private readonly url: string | undefined;
  private readonly batchSize: number;
  private counter: DuplicateCounter | undefined;
  private duplicateCount = 0;
  private duplicates: DuplicateLookup = new Set<string | number>();
  private pool: DecodePool | undefined;
  private warm: WarmWorkers | undefined;
  private parallelSegments = 0;
  private sequentialSegments = 0;

  constructor(
    private readonly source: DatasetSource,
    private readonly options: ReadDatasetOptions,
  ) {
    validateFeatures(options.features);
    const batchSize = options.batchSize ?? 8192;
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new DatasetError("DATASET_FEATURES_INVALID", `batchSize must be a positive integer, got ${batchSize}`, "Pass a batchSize of a few thousand rows.");
    }
    this.batchSize = batchSize;
    this.url = isFileUrl(source) ? undefined : typeof source === "string" || source instanceof URL ? redactUrl(source) : undefined;
  }

  stats(): DatasetStats {
    const d = this.decoder;
    const columns: Record<string, ColumnStats> = {};
    if (d !== undefined) {
      this.options.features.forEach((f, k) => {
        const col = d.plan.featureColumns[k]!;
        const s: ColumnStats = { missing: d.missing[col]!, invalid: d.invalid[col]! };
        if (f.kind === "categorical") s.unknownCategory = d.unknown[col]!;
        columns[f.column] = s;
      });
    }
    const out: DatasetStats = {
      rows: d?.totalRows ?? 0,
      bytes: this.bytes,
      columns,
      duplicateUserIds: this.duplicateCount,
      duplicates: this.duplicates,
      duplicateMemoryBytes: this.counter?.usage().peakMemoryBytes ?? 0,
      duplicateDiskBytes: this.counter?.usage().diskBytes ?? 0,
      spooled: this.spooled,
      complete: this.complete,
    };
    if (this.body) out.http = this.body.stats();
    if (this.pool !== undefined || this.parallelSegments + this.sequentialSegments > 0) {
      out.decode = { threads: this.pool?.threads ?? 0, parallelSegments: this.parallelSegments, sequentialSegments: this.sequentialSegments };
    }
    return out;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RowBatch> {
    if (this.started) throw new Error("readDataset() can be iterated once");
    this.started = true;
    let spool: Spool | undefined;
    const hooks: DocumentHooks = {
      onMetadata: (metadata) => this.onMetadata(metadata),
      spoolSink: () => {
        spool = new Spool(this.options.tmpDir ?? process.cwd(), this.options.spoolMemoryBytes);
        const s = spool;
        return (b, from, to) => s.write(b, from, to);
      },
    };
    try {
      const doc = new DocumentParser(hooks);
      yield* this.pump(this.open(), doc, 0, () => spool?.flush());
      doc.finish(this.decoder?.totalRows ?? 0);
      if (!doc.sawMetadata) throw this.noColumns("has no metadata");
      if (!doc.sawData) {
        throw new DatasetError("DATASET_SHAPE_INVALID", `The dataset${this.where()} has no "data" array`, "The dataset body must be {\"metadata\": {\"columns\": [...]}, \"data\": [...]}.", this.place());
      }
      if (doc.spooled) {
        this.spooled = true;
        const replay = new DocumentParser(hooks, { decoder: this.decoder!, base: doc.spoolBase });
        yield* this.pump(spool!.chunks(), replay, doc.spoolBase, undefined);
        replay.finish(this.decoder!.totalRows);
      }
      if (this.counter) {
        const { count, duplicates } = await this.counter.finish();
        this.duplicateCount = count;
        this.duplicates = duplicates;
      }
      if (this.decoder!.rows > 0) yield this.batch();
      this.complete = true;
    } catch (err) {
      this.pendingColumns.reject(err);
      throw this.withUrl(err);
    } finally {
      await this.pool?.close();
      await this.warm?.close();
      await spool?.dispose();
      await this.counter?.dispose();
    }
  }

  /**
   * Feeds a byte stream through the document parser, yielding full batches. Once the columns are known and
   * the body is past parallelMinBytes, the data array's bytes go in segments to decode workers (see
   * decode-pool.ts); segments are applied strictly in order, each either as the worker's rows or decoded
   * here, so the result is the sequential one.
   */
  private async *pump(chunks: AsyncIterable<Uint8Array>, doc: DocumentParser, start: number, afterChunk: (() => Promise<void> | undefined) | undefined): AsyncGenerator<RowBatch> {
    const threads = this.decodeThreads();
    const counted = start === 0;
    // Between chunks or segments: spilled spool bytes and id fingerprints go to disk.
    const settle = async (): Promise<void> => {
      await afterChunk?.();
      if (this.counter) await this.counter.flush();
    };
    const segmentBytes = this.options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    const minBytes = this.options.parallelMinBytes ?? DEFAULT_PARALLEL_MIN_BYTES;
    // Until the columns are known and minBytes were read (always, with no decode threads), chunks go
    // straight to the parser (no copy, no delay); from then on they are cut into segments.
    let segmenter: Segmenter | undefined;
    let firstSegment = 0;
    let firstBetweenRows = false;
    let seen = 0;
    // Segments in body order. A worker's answer settles its entry; a "here" entry is decoded by this thread,
    // ahead of order while it would otherwise wait for a worker, or in order once it is first.
    const queue: QueueEntry[] = [];
    // Three segments queued per worker keep it busy across this thread's own stretches of work (scoring,
    // writing, its own share). Measured side by side in the plugin at 1M users, 5 rounds: 2 -> 371k,
    // 3 -> 414k (ahead in every round), 4 -> 405k users/s with 15 MB more (apps/emulator/BENCHMARKS.md).
    const perWorker = 3;
    const maxQueued = perWorker * threads + 2;
    const apply = async function* (this: StreamingDatasetReader, entry: QueueEntry): AsyncGenerator<RowBatch> {
      const { segment } = entry;
      if (entry.error !== undefined) {
        const err = entry.error as Error;
        throw new DatasetError(
          "DATASET_DECODE_FAILED",
          `A dataset decode worker thread stopped while it held bytes ${segment.start}-${segment.start + segment.length} of the body${this.where()}: ${err.message}`,
          "Run the stage again; if it happens again, pass decodeThreads: 0 to decode in one thread, and report it.",
          { byteOffset: segment.start, ...this.place() },
          { cause: err },
        );
      }
      const rows = entry.rows;
      const decoder = doc.decoder;
      if (rows !== undefined && decoder !== undefined && doc.betweenRowsAt(segment.start)) {
        this.parallelSegments++;
        decoder.addSegmentStats(rows);
        for (let from = 0; from < rows.rows; ) {
          from += decoder.appendRows(rows, from);
          if (decoder.rows === this.batchSize) {
            yield this.batch();
            decoder.nextBatch();
          }
        }
        doc.skipTo(segment.start + segment.length);
      } else {
        this.sequentialSegments++;
        yield* this.parse(doc, segment.bytes);
      }
      if (rows !== undefined) this.pool!.release(rows);
      segmenter!.release(segment);
      await settle();
    };
    /** Applies what is ready; waits for a worker only when the queue is full or the body ended. */
    const drain = async function* (this: StreamingDatasetReader, final: boolean): AsyncGenerator<RowBatch> {
      for (;;) {
        dispatch();
        const head = queue[0];
        if (head === undefined) return;
        // First in line and not sent: decoded in order (no copy, and the parser has its exact place).
        if (head.here || (head.result === undefined && !head.settled)) head.settled = true;
        if (head.settled) {
          queue.shift();
          yield* apply.call(this, head);
          continue;
        }
        if (!final && queue.length < maxQueued) return;
        // The workers are busy with the first ones: this thread takes the next one nobody has.
        const next = queue.find((e) => !e.here && e.result === undefined && !e.settled);
        if (next !== undefined) {
          next.rows = this.pool!.decodeHere(next.segment);
          next.settled = true;
          continue;
        }
        this.checkAbort();
        await head.result;
      }
    };
    /** Sends waiting segments, in order, to the workers while they have fewer than perWorker each. */
    const dispatch = (): void => {
      const pool = this.pool;
      if (pool === undefined) return;
      for (const entry of queue) {
        if (pool.inFlight >= perWorker * threads) return;
        if (entry.here || entry.settled || entry.result !== undefined) continue;
        entry.result = pool.decode(entry.segment).then(
          (rows) => {
            entry.rows = rows;
            entry.settled = true;
            // A worker is free: give it the next waiting segment now, not when this thread gets to it.
            dispatch();
          },
          (err: unknown) => {
            entry.error = err;
            entry.settled = true;
          },
        );
      }
    };
    const enqueue = (segment: Segment): void => {
      const decoder = doc.decoder!;
      const entry: QueueEntry = { segment, settled: false, here: false, rows: undefined, error: undefined, result: undefined };
      // The first segment starts where the parser stopped, inside a row unless it stopped between rows.
      if (!segment.dispatchable || (segment.start === firstSegment && !firstBetweenRows)) {
        entry.here = true;
      } else {
        this.pool ??= new DecodePool({
          threads,
          columns: [...decoder.plan.columns],
          plan: this.planInput(),
          trackDuplicates: this.counter !== undefined,
          batchRows: Math.min(this.batchSize, 4096),
          // 1 MiB of rows of at least 128 bytes; shorter rows spill to a transferred buffer.
          slotRows: Math.max(1024, Math.ceil(segmentBytes / 128)),
          warm: this.warm,
        });
      }
      queue.push(entry);
      dispatch();
    };
    for await (const raw of chunks) {
      this.checkAbort();
      if (counted) this.bytes += raw.length;
      seen += raw.length;
      if (segmenter === undefined) {
        // No copy: a Buffer view over the same bytes.
        yield* this.parse(doc, Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
        await settle();
        if (threads > 0 && seen >= minBytes && doc.inRows) {
          firstSegment = doc.pushedEnd;
          firstBetweenRows = doc.betweenRowsAt(firstSegment);
          segmenter = new Segmenter(segmentBytes, firstSegment);
        }
        continue;
      }
      for (const segment of segmenter.push(raw)) {
        enqueue(segment);
        yield* drain.call(this, false);
      }
    }
    if (segmenter === undefined) return;
    for (const segment of segmenter.end()) enqueue(segment);
    yield* drain.call(this, true);
  }

  /** Runs the parser over one chunk in this thread, yielding full batches; keeps only a partial row's tail. */
  private *parse(doc: DocumentParser, chunk: Buffer): Generator<RowBatch> {
    doc.push(chunk);
    while (doc.run() === DOC_BATCH_FULL) {
      yield this.batch();
      this.decoder!.nextBatch();
    }
    doc.retain();
  }

  private decodeThreads(): number {
    const n = this.options.decodeThreads ?? 0;
    if (!Number.isInteger(n) || n < 0 || n > 16) {
      throw new DatasetError("DATASET_FEATURES_INVALID", `decodeThreads must be an integer from 0 to 16, got ${n}`, "Pass decodeThreads: 0 to decode in this thread, or the number of worker threads to use.");
    }
    return n;
  }

  private planInput(): PlanInput {
    return {
      features: this.options.features,
      extraColumns: [...new Set(this.options.extraColumns ?? [])],
      idColumn: this.options.idColumn ?? contract.userIdColumn,
      fill: this.options.fill ?? 0,
      url: this.url,
    };
  }

  /** Starts the decode workers early when the body is big enough for the parallel path (see WarmWorkers). */
  private prewarm(totalBytes: number | undefined): void {
    const threads = this.decodeThreads();
    if (threads === 0 || this.warm !== undefined || this.pool !== undefined || totalBytes === undefined) return;
    if (totalBytes < (this.options.parallelMinBytes ?? DEFAULT_PARALLEL_MIN_BYTES)) return;
    this.warm = new WarmWorkers(threads);
  }

  private open(): AsyncIterable<Uint8Array> {
    const source = this.source;
    if (isFileUrl(source)) return fileChunks(fileURLToPath(source), undefined, (size) => this.prewarm(size));
    if (typeof source === "string" || source instanceof URL) {
      // A dataset from loopback (the emulator) comes uncompressed unless asked otherwise: gzip would cost
      // more CPU on this machine than the bytes it saves.
      const onResponse = this.options.http?.onResponse;
      const http: OpenBodyOptions = {
        compression: "auto",
        ...this.options.http,
        onResponse: (info) => {
          onResponse?.(info);
          this.prewarm(info.totalBytes);
        },
      };
      const signal = this.options.signal ?? this.options.http?.signal;
      if (signal) http.signal = signal;
      this.body = openBody(source, http);
      return this.body;
    }
    return source;
  }

  private batch(): RowBatch {
    const d = this.decoder!;
    const extras: Record<string, unknown[]> = {};
    d.plan.extraColumns.forEach((name, k) => (extras[name] = d.extras[k]!));
    return {
      rows: d.rows,
      firstRow: d.rowBase,
      userIds: d.userIds,
      features: d.features.subarray(0, d.rows * d.plan.width),
      width: d.plan.width,
      extras,
    };
  }

  private onMetadata(metadata: unknown): RowDecoder {
    const columns = (metadata as { columns?: unknown } | null)?.columns;
    if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) throw this.noColumns("has a metadata that is not an object");
    if (columns === undefined) throw this.noColumns("has no metadata.columns");
    const header = parseDatasetHeader(metadata);
    if (!header.ok) {
      const issues = header.error.issues.map((i) => `${i.path}: ${i.message}`).join("; ");
      throw new DatasetError(
        "DATASET_COLUMNS_INVALID",
        `The dataset${this.where()} has an invalid metadata.columns: ${issues}`,
        "metadata.columns must list distinct, non-empty column names, one per value in a row.",
        this.place(),
        { cause: header.error },
      );
    }
    const plan = planColumns(header.value.columns, this.planInput());
    if (this.options.trackDuplicates ?? true) this.counter = new DuplicateCounter(this.options.tmpDir ?? process.cwd(), this.options.duplicateMemoryBytes);
    this.decoder = new RowDecoder(plan, this.batchSize, this.counter);
    this.pendingColumns.resolve([...header.value.columns]);
    return this.decoder;
  }

  private noColumns(what: string): DatasetError {
    return new DatasetError(
      "DATASET_NO_COLUMNS",
      `The dataset${this.where()} ${what}; the column names are needed to read its rows`,
      "The dataset body must include {\"metadata\": {\"columns\": [...]}}: check the dataset export or the data URL.",
      this.place(),
    );
  }

  private checkAbort(): void {
    const signal = this.options.signal;
    if (signal?.aborted) {
      throw new DatasetError("DATASET_ABORTED", `Reading the dataset${this.where()} was aborted after ${this.bytes} bytes`, "The stage was cancelled; run it again if that was not intended.", { byteOffset: this.bytes }, { cause: signal.reason });
    }
  }

  private where(): string {
    return this.url === undefined ? "" : ` at ${this.url}`;
  }

  private place(): { url?: string } {
    return this.url === undefined ? {} : { url: this.url };
  }

  // Errors from the byte scanners do not know the URL; add it to the message so the user sees the source.
  private withUrl(err: unknown): unknown {
    if (!(err instanceof DatasetError) || this.url === undefined || err.message.includes(this.url)) return err;
    return new DatasetError(err.code, `${err.message} (reading ${this.url})`, err.hint, { ...placeOf(err), url: this.url }, { cause: err.cause });
  }
}

function placeOf(err: DatasetError): { byteOffset?: number; row?: number; column?: string } {
  const out: { byteOffset?: number; row?: number; column?: string } = {};
  if (err.byteOffset !== undefined) out.byteOffset = err.byteOffset;
  if (err.row !== undefined) out.row = err.row;
  if (err.column !== undefined) out.column = err.column;
  return out;
}
