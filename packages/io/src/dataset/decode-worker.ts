/**
 * Worker entry of the parallel decoder: decodes the segments it is sent (segment-decoder.ts) and sends
 * each buffer back with the answer. It never reports errors: a segment that does not decode cleanly is
 * decoded again in order by the reader, which then raises the error with the right row and byte offset.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { DecodeRequest, DecodeWorkerInit, DecodeWorkerStart } from "./decode-protocol.js";
import { SegmentDecoder } from "./segment-decoder.js";

const port = parentPort;
if (port === null) throw new Error("decode-worker.js must be started as a worker thread (readDataset decodeThreads)");
// Started with its plan, or started early (warm) and sent the plan as the first message.
const make = (init: DecodeWorkerInit): SegmentDecoder => new SegmentDecoder(init.columns, init.plan, init.trackDuplicates, init.batchRows);
let decoder = workerData === null ? undefined : make(workerData as DecodeWorkerInit);

port.on("message", (req: DecodeRequest | DecodeWorkerStart) => {
  if ("init" in req) {
    decoder = make(req.init);
    return;
  }
  const res = decoder!.decode(req.seq, req.buffer, req.length, req.slot);
  const transfer: ArrayBuffer[] = [res.buffer];
  if (res.clean) {
    if (res.features) transfer.push(res.features);
    if (res.hashes) transfer.push(res.hashes);
  }
  port.postMessage(res, transfer);
});
