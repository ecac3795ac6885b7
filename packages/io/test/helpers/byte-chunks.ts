import type { DatasetReader, RowBatch } from "../../src/index.js";

/** The bytes of `text` as an async stream cut at the given sizes (the last size repeats). */
export async function* byteChunks(text: string | Buffer, sizes: number[] = [1 << 16]): AsyncGenerator<Uint8Array> {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  let i = 0;
  let k = 0;
  while (i < bytes.length) {
    const size = Math.max(1, sizes[Math.min(k++, sizes.length - 1)]!);
    // A fresh copy, as a real stream would hand out, so no test relies on shared memory.
    yield new Uint8Array(bytes.subarray(i, i + size));
    i += size;
  }
}

/** The bytes of `text` cut at the given absolute offsets. */
export async function* splitAt(text: string | Buffer, cuts: number[]): AsyncGenerator<Uint8Array> {
  const bytes = typeof text === "string" ? Buffer.from(text, "utf8") : text;
  let prev = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    if (cut <= prev || cut >= bytes.length) continue;
    yield new Uint8Array(bytes.subarray(prev, cut));
    prev = cut;
  }
  yield new Uint8Array(bytes.subarray(prev));
}

export interface Collected {
  batches: { rows: number; firstRow: number; width: number }[];
  userIds: (string | number)[];
  /** One array per row, copied out of the reused Float32Array. */
  features: number[][];
  extras: Record<string, unknown[]>;
}

/** Reads everything, copying each batch out before the reader reuses its buffer. */
export async function collect(reader: DatasetReader): Promise<Collected> {
  const out: Collected = { batches: [], userIds: [], features: [], extras: {} };
  for await (const b of reader) addBatch(out, b);
  return out;
}

function addBatch(out: Collected, b: RowBatch): void {
  out.batches.push({ rows: b.rows, firstRow: b.firstRow, width: b.width });
  out.userIds.push(...b.userIds);
  for (let r = 0; r < b.rows; r++) out.features.push(Array.from(b.features.subarray(r * b.width, (r + 1) * b.width)));
  for (const [k, v] of Object.entries(b.extras)) (out.extras[k] ??= []).push(...v);
}

/** A dataset body from columns and rows, metadata first unless asked otherwise. */
export function dataset(columns: string[], rows: unknown[], order: "metadata-first" | "data-first" = "metadata-first"): string {
  const metadata = JSON.stringify({ columns });
  const data = JSON.stringify(rows);
  return order === "metadata-first" ? `{"metadata":${metadata},"data":${data}}` : `{"data":${data},"metadata":${metadata}}`;
}

/** Awaits a rejection and returns the error, failing the test when nothing is thrown. */
export async function errorOf(run: () => Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await run();
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error("expected an error, but none was thrown");
}
