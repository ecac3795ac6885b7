import { open } from "node:fs/promises";
import { DatasetError } from "./dataset-error.js";

/**
 * A file's bytes as chunks of one reused buffer: the reader copies what it keeps (a partial row, a
 * segment), so no chunk becomes garbage and memory stays flat however large the file.
 */
export async function* fileChunks(path: string, chunkBytes = 1 << 20): AsyncGenerator<Buffer> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (err) {
    throw new DatasetError("DATASET_FILE_UNREADABLE", `Cannot open the dataset file ${path}: ${(err as Error).message}`, "Check the path and that the file is readable.", {}, { cause: err });
  }
  try {
    const buf = Buffer.allocUnsafeSlow(chunkBytes);
    for (;;) {
      const { bytesRead } = await handle.read(buf, 0, chunkBytes, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
