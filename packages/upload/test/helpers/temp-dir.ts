import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export async function makeTempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "batchkit-upload-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** A deterministic file of `size` bytes in `dir`. */
export async function writeTestFile(dir: string, name: string, size: number, seed = 1): Promise<{ path: string; bytes: Buffer }> {
  const bytes = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  const path = join(dir, name);
  await writeFile(path, bytes);
  return { path, bytes };
}
