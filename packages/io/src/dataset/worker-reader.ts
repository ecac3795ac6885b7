/**
 * readDataset in a worker thread: download and decode run there while the caller scores and writes here,
 * so a 2-core machine uses both cores. Same DatasetReader / RowBatch contract as readDataset; batches
 * arrive in a pool of transferred feature buffers that go back to the worker on the next iteration step.
 */
import type { Worker } from "node:worker_threads";
import { redactUrl } from "@batchkit/manifest";
import { DatasetError } from "./dataset-error.js";
import { validateFeatures } from "./feature-spec.js";
import { spawnWorker } from "./spawn-worker.js";
import { deferredColumns, type DatasetReader, type DatasetStats, type ReadDatasetOptions, type RowBatch } from "./read-dataset.js";
import { decodeError, decodeStats, type FromWorker, type ToWorker, type WorkerInit, type WorkerReadOptions } from "./worker-protocol.js";

export interface WorkerDatasetOptions extends ReadDatasetOptions {
  /** Feature buffers in flight (decoded ahead of the consumer), 2..8; default 3. */
  poolSize?: number;
}

/**
 * Like readDataset, for an http(s) URL or a `file:` URL, with the reader in a worker thread. A stream
 * source (AsyncIterable) cannot move to another thread: use readDataset for those. `http.onRetry` is
 * called here (forwarded); a custom `http.dispatcher`, `sleep` or `onResponse` cannot cross threads and
 * is refused. Aborting `signal` terminates the worker and ends iteration with DATASET_ABORTED.
 */
export function readDatasetInWorker(source: string | URL, options: WorkerDatasetOptions): DatasetReader {
  return new WorkerDatasetReader(String(source), options);
}

class WorkerDatasetReader implements DatasetReader {
  private readonly pendingColumns = deferredColumns();
  readonly columns = this.pendingColumns.promise;
  private started = false;
  private final: DatasetStats | undefined;
  private rows = 0;
  private bytes = 0;
  private readonly url: string | undefined;

  constructor(
    private readonly source: string,
    private readonly options: WorkerDatasetOptions,
  ) {
    validateFeatures(options.features);
    const http = options.http;
    for (const key of ["dispatcher", "sleep", "onResponse"] as const) {
      if (http?.[key] !== undefined) throw new TypeError(`readDatasetInWorker: http.${key} cannot be passed to a worker thread; use readDataset`);
    }
    this.url = source.startsWith("file:") ? undefined : redactUrl(source);
  }

  stats(): DatasetStats {
    if (this.final) return this.final;
    return { rows: this.rows, bytes: this.bytes, columns: {}, duplicateUserIds: 0, duplicates: new Set(), duplicateMemoryBytes: 0, duplicateDiskBytes: 0, spooled: false, complete: false };
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<RowBatch> {
    if (this.started) throw new Error("readDatasetInWorker() can be iterated once");
    this.started = true;
    const signal = this.options.signal;
    if (signal?.aborted) throw this.aborted(signal.reason);
    const worker = startWorker(this.source, this.options);
    const queue: FromWorker[] = [];
    let failure: unknown;
    let wake: (() => void) | undefined;
    const notify = (): void => {
      wake?.();
      wake = undefined;
    };
    worker.on("message", (msg: FromWorker) => {
      if (msg.type === "columns") this.pendingColumns.resolve(msg.columns);
      else if (msg.type === "retry") this.options.http?.onRetry?.(msg.info);
      else queue.push(msg);
      notify();
    });
    worker.on("error", (err) => {
      failure ??= err;
      notify();
    });
    worker.on("exit", (code) => {
      failure ??= new Error(`The dataset worker thread exited (code ${code}) before the end of the dataset${this.where()}`);
      notify();
    });
    const onAbort = (): void => {
      failure = this.aborted(signal?.reason);
      void worker.terminate();
      notify();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    let lent: ArrayBuffer | undefined;
    try {
      for (;;) {
        // The consumer is done with the previous batch: its buffer goes back to the pool.
        if (lent !== undefined) {
          worker.postMessage({ type: "buffer", buffer: lent } satisfies ToWorker, [lent]);
          lent = undefined;
        }
        while (queue.length === 0 && failure === undefined) await new Promise<void>((resolve) => (wake = resolve));
        // An abort wins over batches still queued, as in readDataset.
        if (signal?.aborted) throw failure;
        const msg = queue.shift();
        if (msg === undefined) throw failure;
        if (msg.type === "end") {
          this.final = decodeStats(msg.stats);
          return;
        }
        if (msg.type === "error") {
          this.final = decodeStats(msg.stats);
          throw decodeError(msg.error);
        }
        if (msg.type !== "batch") continue;
        lent = msg.features;
        this.rows += msg.rows;
        this.bytes = msg.bytes;
        yield {
          rows: msg.rows,
          firstRow: msg.firstRow,
          userIds: msg.userIds,
          features: new Float32Array(msg.features, 0, msg.rows * msg.width),
          width: msg.width,
          extras: msg.extras,
        };
      }
    } catch (err) {
      this.pendingColumns.reject(err);
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      worker.removeAllListeners("exit");
      await worker.terminate();
    }
  }

  private aborted(reason: unknown): DatasetError {
    return new DatasetError(
      "DATASET_ABORTED",
      `Reading the dataset${this.where()} was aborted after ${this.bytes} bytes`,
      "The stage was cancelled; run it again if that was not intended.",
      { byteOffset: this.bytes },
      { cause: reason },
    );
  }

  private where(): string {
    return this.url === undefined ? "" : ` at ${this.url}`;
  }
}

function startWorker(source: string, options: WorkerDatasetOptions): Worker {
  const { signal: _signal, http, poolSize, ...rest } = options;
  const sendable: WorkerReadOptions = { ...rest };
  if (http !== undefined) {
    const { signal: _s, onRetry: _r, dispatcher: _d, sleep: _z, onResponse: _o, ...plain } = http;
    sendable.http = plain;
  }
  const init: WorkerInit = {
    source,
    options: sendable,
    poolSize: Math.min(8, Math.max(2, poolSize ?? 3)),
    forwardRetry: http?.onRetry !== undefined,
  };
  return spawnWorker("dataset-worker", init, resourceLimits);
}

// The worker's garbage is short-lived (rows, ids of one batch): a small young generation keeps its
// heap, and so the plugin's peak RSS, low at a small cost in extra scavenges.
const resourceLimits = { maxYoungGenerationSizeMb: 8 };
