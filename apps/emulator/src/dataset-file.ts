/**
 * A dataset's rows encoded once to a file in the work directory, with the byte offset of every row, so a
 * range request is two binary searches and a file read instead of re-generating JSON per request.
 * Each row is stored as `[...],\n`; a span of rows is served without its last two bytes.
 */
import { open, rename, rm } from "node:fs/promises";
import type { DatasetMoment, DemoProject } from "./demo-project.js";

const ROWS_PER_WRITE = 4096;

export interface DatasetFile {
  path: string;
  /** offsets[i] = byte offset of row i; offsets[users] = file size. */
  offsets: Float64Array;
  bytes: number;
  buildMs: number;
}

export async function buildDatasetFile(
  project: DemoProject,
  moment: DatasetMoment,
  dataNowIso: string,
  path: string,
): Promise<DatasetFile> {
  const started = performance.now();
  const n = project.users;
  const offsets = new Float64Array(n + 1);
  const labels = new Uint8Array(n);
  const temp = `${path}.tmp-${process.pid}`;
  const handle = await open(temp, "w");
  let offset = 0;
  try {
    for (let start = 0; start < n; start += ROWS_PER_WRITE) {
      const end = Math.min(n, start + ROWS_PER_WRITE);
      let chunk = "";
      for (let i = start; i < end; i++) {
        offsets[i] = offset + chunk.length;
        chunk += project.rowJsonWithLabel(i, moment, dataNowIso, labels) + ",\n";
      }
      // Rows are ASCII by construction, so latin1 is an exact and cheap encoding.
      const buf = Buffer.from(chunk, "latin1");
      await handle.write(buf, 0, buf.length);
      offset += buf.length;
    }
    offsets[n] = offset;
    await handle.close();
    await rename(temp, path);
  } catch (err) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw err;
  }
  project.setLabels(labels);
  return { path, offsets, bytes: offset, buildMs: performance.now() - started };
}
