/**
 * Worker entry of the parallel decoder: decodes segments of the data array with the same RowDecoder as the
 * sequential path and answers, per segment, either the decoded rows or "not clean" (see decode-protocol.ts).
 * It never reports errors: a segment that does not decode cleanly is decoded again in order by the
 * reader, which then raises the error with the right row number and byte offset.
 */
import { parentPort, workerData } from "node:worker_threads";
import { planColumns } from "./column-plan.js";
import type { DecodeRequest, DecodeResponse, DecodeWorkerInit } from "./decode-protocol.js";
import type { IdSink } from "./duplicate-counter.js";
import { hashId, idHash } from "./id-hash.js";
import { BATCH_FULL, NEED_MORE, RowDecoder } from "./row-decoder.js";

const port = parentPort;
if (port === null) throw new Error("decode-worker.js must be started as a worker thread (readDataset decodeThreads)");
const init = workerData as DecodeWorkerInit;

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

const plan = planColumns(init.columns, init.plan);
const recorder = init.trackDuplicates ? new HashRecorder() : undefined;
const decoder = new RowDecoder(plan, init.batchRows, recorder);
const width = plan.width;
let out = new Float32Array(init.batchRows * width);

function decodeSegment(req: DecodeRequest): DecodeResponse {
  const b = Buffer.from(req.buffer, 0, req.length);
  decoder.nextBatch();
  decoder.resetStats();
  decoder.startAfterComma();
  if (recorder) recorder.n = 0;
  let rows = 0;
  let userIds: (string | number)[] = [];
  const extras: unknown[][] = plan.extraColumns.map(() => []);
  let p = 0;
  for (;;) {
    p = decoder.decode(b, p, req.length);
    // Move this batch's rows to the segment's output.
    const n = decoder.rows;
    if (n > 0) {
      if ((rows + n) * width > out.length) {
        const next = new Float32Array(Math.max(out.length * 2, (rows + n) * width));
        next.set(out.subarray(0, rows * width));
        out = next;
      }
      out.set(decoder.features.subarray(0, n * width), rows * width);
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
  if (decoder.status !== NEED_MORE || p !== req.length || !decoder.betweenRows) return { seq: req.seq, buffer: req.buffer, clean: false };
  const res: DecodeResponse = {
    seq: req.seq,
    buffer: req.buffer,
    clean: true,
    rows,
    userIds,
    extras,
    missing: decoder.missing.slice(),
    invalid: decoder.invalid.slice(),
    unknown: decoder.unknown.slice(),
  };
  const slot = req.slot;
  if (rows <= slot.capacity) {
    // The usual case: into the reader's shared slot, no allocation.
    new Float32Array(slot.features, 0, rows * width).set(out.subarray(0, rows * width));
    if (recorder) new Uint32Array(slot.hashes, 0, 2 * rows).set(recorder.hashes.subarray(0, 2 * rows));
  } else {
    res.features = out.slice(0, rows * width).buffer;
    if (recorder) res.hashes = recorder.hashes.slice(0, 2 * rows).buffer;
  }
  return res;
}

port.on("message", (req: DecodeRequest) => {
  let res: DecodeResponse;
  try {
    res = decodeSegment(req);
  } catch {
    res = { seq: req.seq, buffer: req.buffer, clean: false };
  }
  const transfer: ArrayBuffer[] = [res.buffer];
  if (res.clean) {
    if (res.features) transfer.push(res.features);
    if (res.hashes) transfer.push(res.hashes);
  }
  port.postMessage(res, transfer);
});
