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
    this.push(hash[0]!, hash[1]!);
  }

  addHashes(hashes: Uint32Array, n: number): void {
    for (let i = 0; i < n; i++) this.push(hashes[2 * i]!, hashes[2 * i + 1]!);
  }

  private push(h1: number, h2: number): void {
    if (2 * this.n + 2 > this.hashes.length) {
      const next = new Uint32Array(this.hashes.length * 2);
      next.set(this.hashes);
      this.hashes = next;
    }
    this.hashes[2 * this.n] = h1;
    this.hashes[2 * this.n + 1] = h2;
    this.n++;
  }
}

export class SegmentDecoder {
  private readonly plan: ColumnPlan;
  private readonly recorder: HashRecorder | undefined;
  private readonly decoder: RowDecoder;
  private readonly width: number;
  /** Where rows go when a segment has more than a slot holds; kept for the next such segment. */
  private out = new Float32Array(0);

  constructor(columns: readonly string[], plan: Omit<PlanInput, "url">, trackDuplicates: boolean, batchRows: number) {
    this.plan = planColumns(columns, plan);
    this.recorder = trackDuplicates ? new HashRecorder() : undefined;
    this.decoder = new RowDecoder(this.plan, batchRows, this.recorder);
    this.width = this.plan.width;
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
    // Rows go straight into the reader's slot; past its capacity into a growable buffer (transferred).
    let dest: Float32Array = new Float32Array(slot.features, 0, slot.capacity * width);
    let spilled = false;
    let rows = 0;
    let userIds: (string | number)[] = [];
    const extras: unknown[][] = this.plan.extraColumns.map(() => []);
    let p = 0;
    for (;;) {
      p = decoder.decode(b, p, length);
      const n = decoder.rows;
      if (n > 0) {
        const need = (rows + n) * width;
        if (need > dest.length) {
          const next = this.out.length >= need ? this.out : new Float32Array(Math.max(dest.length * 2, need));
          if (next !== dest) next.set(dest.subarray(0, rows * width));
          dest = this.out = next;
          spilled = true;
        }
        dest.set(decoder.features.subarray(0, n * width), rows * width);
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
    if (spilled) {
      res.features = dest.slice(0, rows * width).buffer;
      if (recorder) res.hashes = recorder.hashes.slice(0, 2 * rows).buffer;
    } else if (recorder) {
      new Uint32Array(slot.hashes, 0, 2 * rows).set(recorder.hashes.subarray(0, 2 * rows));
    }
    return res;
  }
}
