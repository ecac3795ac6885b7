import { open } from "node:fs/promises";
import { DatasetError } from "./dataset-error.js";

/**
 * A file's bytes as chunks of two reused buffers: the next read runs (on libuv's thread pool) while the
 * reader decodes the current chunk, and the reader copies what it keeps (a partial row, a segment) before
 * it asks for the next chunk, so no chunk becomes garbage and memory stays flat however large the file.
 */
export async function* fileChunks(path: string, chunkBytes = 1 << 20, onSize?: (bytes: number) => void): AsyncGenerator<Buffer> {
  let handle;
  try {
    handle = await open(path, "r");
  } catch (err) {
    throw new DatasetError("DATASET_FILE_UNREADABLE", `Cannot open the dataset file ${path}: ${(err as Error).message}`, "Check the path and that the file is readable.", {}, { cause: err });
  }
  const file = handle;
  let pending: Promise<number> | undefined;
  try {
    if (onSize !== undefined) onSize((await file.stat()).size);
    const buffers = [Buffer.allocUnsafeSlow(chunkBytes), Buffer.allocUnsafeSlow(chunkBytes)];
    let position = 0;
    const readInto = (buf: Buffer): Promise<number> => file.read(buf, 0, chunkBytes, position).then(({ bytesRead }) => {
      position += bytesRead;
      return bytesRead;
    });
    let k = 0;
    pending = readInto(buffers[0]!);
    for (;;) {
      const bytesRead = await pending;
      if (bytesRead === 0) return;
      const current = buffers[k]!;
      k ^= 1;
      // The other buffer was handed out two steps ago and is no longer referenced by the reader.
      pending = readInto(buffers[k]!);
      yield current.subarray(0, bytesRead);
    }
  } finally {
    // A consumer that stopped early leaves a read in flight: let it end before closing the file.
    await pending?.catch(() => undefined);
    await file.close();
  }
}
