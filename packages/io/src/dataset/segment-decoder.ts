/**
 * Decodes one segment of the data array (bytes that should start at a row and end right after a row's
 * ','), with the same RowDecoder as the sequential path. Used by the decode workers and, for its share,
 * by the reader's own thread. The answer is the rows only when the segment decoded cleanly as whole rows;
 * anything else is "not clean" and the reader decodes those bytes again in order.
 */
import { planColumns, type ColumnPlan, type PlanInput } from "./column-plan.js";
import type { DecodeResponse, OutputSlot } from "./decode-protocol.js";
import type { IdSink } from "./duplicate-counter.js";
import { hashId, idHash } from "./id-hash.js";
import { BATCH_FULL, NEED_MORE, RowDecoder } from "./row-decoder.js";

/** Records each row's fingerprint in order, for the reader's duplicate counter. */
class HashRecorder implements IdSink {
  hashes = new Uint32Array(2 * 4096);
  n = 0;

  add(id: string | number): void {
    hashId(id);
    this.addHash(idHash);
  }

  addHash(hash: Uint32Array): void {
    if (2 * this.n + 2 > this.hashes.length) {
      const next = new Uint32Array(this.hashes.length * 2);
      next.set(this.hashes);
      this.hashes = next;
    }
    this.hashes[2 * this.n] = hash[0]!;
    this.hashes[2 * this.n + 1] = hash[1]!;
    this.n++;
  }

  addHashes(hashes: Uint32Array, n: number): void {
    for (let i = 0; i < n; i++) this.addHash(hashes.subarray(2 * i, 2 * i + 2));
  }
}

export class SegmentDecoder {
  private readonly plan: ColumnPlan;
  private readonly recorder: HashRecorder | undefined;
  private readonly decoder: RowDecoder;
  private readonly width: number;
  private out: Float32Array;

  constructor(columns: readonly string[], plan: Omit<PlanInput, "url">, trackDuplicates: boolean, batchRows: number) {
    this.plan = planColumns(columns, plan);
    this.recorder = trackDuplicates ? new HashRecorder() : undefined;
    this.decoder = new RowDecoder(this.plan, batchRows, this.recorder);
    this.width = this.plan.width;
    this.out = new Float32Array(batchRows * this.width);
  }

  /** Decodes b[0, length); rows that fit go into `slot`, more into transferable buffers in the answer. */
  decode(seq: number, buffer: ArrayBuffer, length: number, slot: OutputSlot): DecodeResponse {
    try {
      return this.run(seq, buffer, length, slot);
    } catch {
      // Bad JSON, a wrong row, or a cut inside a string: the reader decodes it in order and says which.
      return { seq, buffer, clean: false };
    }
  }

  private run(seq: number, buffer: ArrayBuffer, length: number, slot: OutputSlot): DecodeResponse {
    const { decoder, recorder, width } = this;
    const b = Buffer.from(buffer, 0, length);
    decoder.nextBatch();
    decoder.resetStats();
    decoder.startAfterComma();
    if (recorder) recorder.n = 0;
    let rows = 0;
    let userIds: (string | number)[] = [];
    const extras: unknown[][] = this.plan.extraColumns.map(() => []);
    let p = 0;
    for (;;) {
      p = decoder.decode(b, p, length);
      // Move this batch's rows to the segment's output.
      const n = decoder.rows;
      if (n > 0) {
        if ((rows + n) * width > this.out.length) {
          const next = new Float32Array(Math.max(this.out.length * 2, (rows + n) * width));
          next.set(this.out.subarray(0, rows * width));
          this.out = next;
        }
        this.out.set(decoder.features.subarray(0, n * width), rows * width);
        if (rows === 0) userIds = decoder.userIds;
        else for (const id of decoder.userIds) userIds.push(id);
        decoder.extras.forEach((col, k) => {
          const dst = extras[k]!;
          for (const v of col) dst.push(v);
        });
        rows += n;
      }
      decoder.nextBatch();
      if (decoder.status !== BATCH_FULL) break;
    }
    if (decoder.status !== NEED_MORE || p !== length || !decoder.betweenRows) return { seq, buffer, clean: false };
    const res: DecodeResponse = {
      seq,
      buffer,
      clean: true,
      rows,
      userIds,
      extras,
      missing: decoder.missing.slice(),
      invalid: decoder.invalid.slice(),
      unknown: decoder.unknown.slice(),
    };
    if (rows <= slot.capacity) {
      // The usual case: into the reader's slot, no allocation.
      new Float32Array(slot.features, 0, rows * width).set(this.out.subarray(0, rows * width));
      if (recorder) new Uint32Array(slot.hashes, 0, 2 * rows).set(recorder.hashes.subarray(0, 2 * rows));
    } else {
      res.features = this.out.slice(0, rows * width).buffer;
      if (recorder) res.hashes = recorder.hashes.slice(0, 2 * rows).buffer;
    }
    return res;
  }
}
