/**
 * The parallel decoder: the data array's bytes are cut into segments at guessed row starts and decoded by
 * worker threads while the reader keeps the order. A guess is never trusted: a worker's rows are used only
 * when the reader's own parser has reached exactly that segment's first byte between two rows, and the
 * worker consumed the whole segment as complete rows each followed by ','. Anything else (a cut inside a
 * string, the end of the array, bad JSON) is decoded again in order by the reader, so the rows, ids, stats
 * and errors are exactly those of a sequential decode. A worker that dies takes its segments' bytes with
 * it: their promises reject, and the reader fails rather than lose rows.
 */
import type { Worker } from "node:worker_threads";
import type { PlanInput } from "./column-plan.js";
import { featureWidth } from "./feature-spec.js";
import { isWs } from "./json-scan.js";
import type { DecodeRequest, DecodeResponse, DecodeWorkerInit, DecodeWorkerStart, OutputSlot } from "./decode-protocol.js";
import type { DecodedRows } from "./row-decoder.js";
import { SegmentDecoder } from "./segment-decoder.js";
import { spawnWorker } from "./spawn-worker.js";

export interface DecodePoolOptions {
  threads: number;
  columns: string[];
  plan: PlanInput;
  trackDuplicates: boolean;
  batchRows: number;
  /** Rows an output slot holds (more spill to a transferred buffer). */
  slotRows: number;
  /** Workers started early, taken before any new one is spawned. */
  warm?: WarmWorkers | undefined;
}

/** What a worker made of a segment: its rows (release() them once used), or undefined when the reader must decode it itself. */
export type SegmentResult = (DecodedRows & { slot: OutputSlot }) | undefined;

interface Pending {
  resolve(result: SegmentResult): void;
  reject(err: Error): void;
  worker: number;
  slot: OutputSlot;
  segment: Segment;
}

// Decode workers hold one segment and its rows at a time: a small young generation is enough.
const resourceLimits = { maxYoungGenerationSizeMb: 8 };

export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly slots: OutputSlot[] = [];
  private readonly init: DecodeWorkerInit;
  /** Model inputs per row, as the workers' plan gives them. */
  private readonly width: number;
  /** This thread's own decoder, made on its first share. */
  private here: SegmentDecoder | undefined;
  private seq = 0;
  private closed = false;
  /** Set when a worker failed: no more segments are sent. */
  failure: string | undefined;

  constructor(private readonly options: DecodePoolOptions) {
    const { url: _url, ...plan } = options.plan;
    this.init = { columns: options.columns, plan, trackDuplicates: options.trackDuplicates, batchRows: options.batchRows };
    this.width = featureWidth(plan.features);
  }

  /** Workers started so far. */
  get threads(): number {
    return this.workers.length;
  }

  /**
   * Sends a segment to the least busy worker. Its buffer travels there (transferred, not copied) and is
   * back in `segment.buffer` / `segment.bytes` when the promise resolves; the promise rejects when the
   * worker died with it.
   */
  decode(segment: Segment): Promise<SegmentResult> {
    if (this.closed) return Promise.reject(new Error("the reader closed"));
    if (this.failure !== undefined) return Promise.reject(new Error(this.failure));
    if (this.workers.length < this.options.threads) this.start();
    let w = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.load[i]! < this.load[w]!) w = i;
    const seq = this.seq++;
    this.load[w]!++;
    const slot = this.slots.pop() ?? this.newSlot();
    return new Promise<SegmentResult>((resolve, reject) => {
      this.pending.set(seq, { resolve, reject, worker: w, slot, segment });
      const { buffer } = segment;
      segment.bytes = EMPTY;
      this.workers[w]!.postMessage({ seq, buffer, length: segment.length, slot } satisfies DecodeRequest, [buffer]);
    });
  }

  /** Segments sent to workers and not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Decodes a segment in this thread, as a worker would (the reader's share while it would wait). */
  decodeHere(segment: Segment): SegmentResult {
    const { columns, plan, trackDuplicates, batchRows } = this.init;
    this.here ??= new SegmentDecoder(columns, plan, trackDuplicates, batchRows);
    const slot = this.slots.pop() ?? this.newSlot();
    const res = this.here.decode(-1, segment.buffer, segment.length, slot);
    if (res.clean) return toRows(res, slot, this.width);
    this.slots.push(slot);
    return undefined;
  }

  /** The reader is done with a result's rows: its slot may take the next segment's. */
  release(result: NonNullable<SegmentResult>): void {
    if (this.slots.length < 16) this.slots.push(result.slot);
  }

  private newSlot(): OutputSlot {
    const capacity = this.options.slotRows;
    return { capacity, features: new SharedArrayBuffer(capacity * this.width * 4), hashes: new SharedArrayBuffer(this.options.trackDuplicates ? capacity * 8 : 0) };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.pending.values()) p.reject(new Error("the reader closed"));
    this.pending.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private start(): void {
    const index = this.workers.length;
    let worker = this.options.warm?.take();
    if (worker === undefined) worker = spawnWorker("decode-worker", this.init, resourceLimits);
    else worker.postMessage({ init: this.init } satisfies DecodeWorkerStart);
    // The reader's process may end while a worker is idle.
    worker.unref();
    worker.on("message", (res: DecodeResponse) => {
      const p = this.pending.get(res.seq);
      if (p === undefined) return;
      this.pending.delete(res.seq);
      this.load[p.worker]!--;
      p.segment.buffer = res.buffer;
      p.segment.bytes = Buffer.from(res.buffer, 0, p.segment.length);
      if (res.clean) {
        p.resolve(toRows(res, p.slot, this.width));
      } else {
        this.slots.push(p.slot);
        p.resolve(undefined);
      }
    });
    const fail = (why: string): void => {
      if (this.closed) return;
      this.failure ??= why;
      for (const [seq, p] of this.pending) {
        if (p.worker !== index) continue;
        this.pending.delete(seq);
        p.reject(new Error(why));
      }
    };
    worker.on("error", (err) => fail(`a decode worker failed: ${err.message}`));
    worker.on("exit", (code) => fail(`a decode worker exited (code ${code})`));
    this.workers.push(worker);
    this.load.push(0);
  }
}

/**
 * Decode workers started before the dataset's columns are known (as soon as the body's size says the
 * parallel path will run), so their start-up (a thread, an isolate, the modules) overlaps the first reads
 * instead of following them. A worker that dies while waiting is dropped; close() ends those never taken.
 */
export class WarmWorkers {
  private readonly idle: { worker: Worker; gone: () => void }[] = [];

  constructor(threads: number) {
    for (let i = 0; i < threads; i++) {
      const worker = spawnWorker("decode-worker", null, resourceLimits);
      worker.unref();
      const gone = (): void => {
        const at = this.idle.findIndex((w) => w.worker === worker);
        if (at >= 0) this.idle.splice(at, 1);
      };
      worker.on("error", gone);
      worker.on("exit", gone);
      this.idle.push({ worker, gone });
    }
  }

  /** A started worker, now the caller's (its listeners here removed), or undefined when none is left. */
  take(): Worker | undefined {
    const next = this.idle.shift();
    if (next === undefined) return undefined;
    next.worker.off("error", next.gone);
    next.worker.off("exit", next.gone);
    return next.worker;
  }

  async close(): Promise<void> {
    const rest = this.idle.splice(0);
    await Promise.all(rest.map(({ worker }) => worker.terminate()));
  }
}

function toRows(res: Extract<DecodeResponse, { clean: true }>, slot: OutputSlot, width: number): NonNullable<SegmentResult> {
  const inSlot = res.features === undefined;
  return {
    slot,
    rows: res.rows,
    features: inSlot ? new Float32Array(slot.features, 0, res.rows * width) : new Float32Array(res.features!),
    userIds: res.userIds,
    extras: res.extras,
    hashes: slot.hashes.byteLength === 0 ? undefined : inSlot ? new Uint32Array(slot.hashes, 0, 2 * res.rows) : new Uint32Array(res.hashes!),
    missing: res.missing,
    invalid: res.invalid,
    unknown: res.unknown,
  };
}

const EMPTY = Buffer.alloc(0);

/** A piece of the body: bytes [0, length) of `buffer`, starting at absolute offset `start`. */
export interface Segment {
  /** Away (detached) while a worker has it. */
  buffer: ArrayBuffer;
  /** buffer[0, length) while the segment is here. */
  bytes: Buffer;
  length: number;
  start: number;
  /** False for a piece that cannot start at a row (no row start found in it, or the body's last row). */
  dispatchable: boolean;
}

/**
 * Cuts the body into segments of about `segmentBytes`, each ending right before a guessed row start (a
 * '[' or '{' after ']' or '}' and ',', whitespace allowed): every byte is copied once, from the chunk into
 * a segment buffer. Buffers come back through release() once the reader is done with them. (Plain
 * ArrayBuffers, transferred to a worker and back: copying into a SharedArrayBuffer at an offset whose
 * alignment differs from the source's runs byte by byte in V8, 10-20x slower.)
 */
export class Segmenter {
  private readonly free: ArrayBuffer[] = [];
  private current: ArrayBuffer;
  private view: Buffer;
  private fill = 0;
  /** Absolute offset of the current buffer's first byte. */
  private offset: number;

  constructor(
    private readonly segmentBytes: number,
    start = 0,
  ) {
    this.offset = start;
    this.current = new ArrayBuffer(segmentBytes);
    this.view = Buffer.from(this.current);
  }

  /** Appends a chunk; returns the segments it completed. */
  push(chunk: Uint8Array): Segment[] {
    const out: Segment[] = [];
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(chunk.length - off, this.segmentBytes - this.fill);
      this.view.set(chunk.subarray(off, off + n), this.fill);
      this.fill += n;
      off += n;
      if (this.fill === this.segmentBytes) this.cut(out);
    }
    return out;
  }

  /** The body ended: the rest, with its last row apart (it is followed by the end of the array). */
  end(): Segment[] {
    const out: Segment[] = [];
    if (this.fill > 0) this.cut(out);
    if (this.fill > 0) {
      out.push(this.take(this.fill, false));
    }
    return out;
  }

  release(segment: Segment): void {
    if (segment.buffer.byteLength === this.segmentBytes && this.free.length < 16) this.free.push(segment.buffer);
  }

  private cut(out: Segment[]): void {
    const at = lastRowStart(this.view, this.fill);
    // No row start in a whole segment (a huge row): hand it over as it is, to be decoded in order.
    out.push(at > 0 ? this.take(at, true) : this.take(this.fill, false));
  }

  /** Emits bytes [0, length) of the current buffer as a segment and carries the rest to a fresh buffer. */
  private take(length: number, dispatchable: boolean): Segment {
    const seg: Segment = { buffer: this.current, bytes: this.view.subarray(0, length), length, start: this.offset, dispatchable };
    const rest = this.fill - length;
    const next = this.free.pop() ?? new ArrayBuffer(this.segmentBytes);
    const view = Buffer.from(next);
    if (rest > 0) this.view.copy(view, 0, length, this.fill);
    this.current = next;
    this.view = view;
    this.fill = rest;
    this.offset += length;
    return seg;
  }
}

/** The last position j in b[0..end) that looks like a row start, or -1. Only a guess: see the file comment. */
export function lastRowStart(b: Uint8Array, end: number): number {
  for (let j = end - 1; j > 0; j--) {
    const c = b[j]!;
    if (c !== 0x5b && c !== 0x7b) continue;
    let k = j - 1;
    while (k >= 0 && isWs(b[k]!)) k--;
    if (k < 0 || b[k] !== 0x2c) continue;
    k--;
    while (k >= 0 && isWs(b[k]!)) k--;
    if (k < 0) continue;
    const d = b[k]!;
    if (d === 0x5d || d === 0x7d) return j;
  }
  return -1;
}
