/**
 * Worker entry of readDatasetInWorker: runs the ordinary readDataset (download + decode) in this thread and
 * posts each batch to the main thread. Features travel in a small pool of buffers that are transferred,
 * not copied, and handed back after use; when all are out, decoding waits, so memory stays bounded.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { OpenBodyOptions } from "../http/index.js";
import { featureWidth } from "./feature-spec.js";
import { readDataset, type DatasetReader, type ReadDatasetOptions } from "./read-dataset.js";
import { encodeError, encodeStats, type FromWorker, type ToWorker, type WorkerInit } from "./worker-protocol.js";

const port = parentPort;
if (port === null) throw new Error("dataset-worker.js must be started as a worker thread (readDatasetInWorker)");
const init = workerData as WorkerInit;

const free: ArrayBuffer[] = [];
let created = 0;
let wake: (() => void) | undefined;

port.on("message", (msg: ToWorker) => {
  if (msg.type !== "buffer") return;
  free.push(msg.buffer);
  wake?.();
  wake = undefined;
});

function post(msg: FromWorker, transfer?: ArrayBuffer[]): void {
  port!.postMessage(msg, transfer);
}

async function takeBuffer(floats: number): Promise<ArrayBuffer> {
  if (free.length === 0 && created < init.poolSize) {
    created++;
    return new ArrayBuffer(floats * 4);
  }
  while (free.length === 0) await new Promise<void>((resolve) => (wake = resolve));
  return free.pop()!;
}

function readerOptions(): ReadDatasetOptions {
  const options: ReadDatasetOptions = { ...init.options } as ReadDatasetOptions;
  if (init.forwardRetry) {
    const http: OpenBodyOptions = { ...init.options.http, onRetry: (info) => post({ type: "retry", info }) };
    options.http = http;
  }
  return options;
}

async function run(): Promise<void> {
  let reader: DatasetReader | undefined;
  let columnsPosted: Promise<void> | undefined;
  // The main thread may read reader.columns as soon as it has a batch, so the columns always go first;
  // they also go as soon as known, in case a later error ends the read before any batch.
  const sendColumns = (r: DatasetReader): Promise<void> => (columnsPosted ??= r.columns.then((columns) => post({ type: "columns", columns })));
  try {
    reader = readDataset(init.source, readerOptions());
    const started = reader;
    started.columns.then(() => sendColumns(started), () => undefined);
    const floats = (init.options.batchSize ?? 8192) * featureWidth(init.options.features);
    for await (const batch of reader) {
      await sendColumns(reader);
      const buffer = await takeBuffer(floats);
      new Float32Array(buffer, 0, batch.features.length).set(batch.features);
      post(
        {
          type: "batch",
          rows: batch.rows,
          firstRow: batch.firstRow,
          width: batch.width,
          userIds: batch.userIds,
          extras: batch.extras,
          features: buffer,
          bytes: reader.stats().bytes,
        },
        [buffer],
      );
    }
    await sendColumns(reader);
    post({ type: "end", stats: encodeStats(reader.stats()) });
  } catch (err) {
    const stats = reader?.stats();
    post({ type: "error", error: encodeError(err), stats: encodeStats(stats ?? emptyStats()) });
  }
}

function emptyStats(): Parameters<typeof encodeStats>[0] {
  return { rows: 0, bytes: 0, columns: {}, duplicateUserIds: 0, duplicates: new Set(), duplicateMemoryBytes: 0, duplicateDiskBytes: 0, spooled: false, complete: false };
}

await run();
