import { mkdtemp, open, rm, type FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { DatasetError } from "./dataset-error.js";
import { fileChunks } from "./file-chunks.js";

// Small `data` arrays that precede `metadata` stay in memory; bigger ones go to a temp file.
const DEFAULT_MEMORY_LIMIT = 8 * 1024 * 1024;

/**
 * Holds the raw bytes of a `data` array that arrived before `metadata`, so rows are decoded once the
 * columns are known, without ever holding decoded rows in memory.
 */
export class Spool {
  private pieces: Buffer[] = [];
  private held = 0;
  private dir: string | undefined;
  private file: FileHandle | undefined;
  private path: string | undefined;
  bytes = 0;

  constructor(
    private readonly tmpDir: string,
    private readonly memoryLimit = DEFAULT_MEMORY_LIMIT,
  ) {}

  /** Copies the bytes: a source may reuse its chunk buffers. */
  write(b: Buffer, from: number, to: number): void {
    const copy = Buffer.allocUnsafe(to - from);
    b.copy(copy, 0, from, to);
    this.pieces.push(copy);
    this.held += copy.length;
    this.bytes += copy.length;
  }

  /** Moves held bytes to disk once past the memory limit; called between chunks. */
  async flush(force = false): Promise<void> {
    if (this.held === 0 || (!force && this.file === undefined && this.held < this.memoryLimit)) return;
    if (this.file === undefined && !force) await this.openFile();
    if (this.file === undefined) return;
    const data = Buffer.concat(this.pieces, this.held);
    this.pieces = [];
    this.held = 0;
    try {
      await this.file.write(data);
    } catch (err) {
      throw this.failed("write", err);
    }
  }

  private async openFile(): Promise<void> {
    try {
      this.dir = await mkdtemp(join(this.tmpDir, ".dataset-spool-"));
      this.path = join(this.dir, "data.json.part");
      this.file = await open(this.path, "w");
    } catch (err) {
      throw this.failed("create", err);
    }
  }

  private failed(what: string, err: unknown): DatasetError {
    return new DatasetError(
      "DATASET_SPOOL_FAILED",
      `Could not ${what} the spool file for a data array that precedes metadata in ${this.tmpDir}: ${(err as Error).message}`,
      "Give readDataset a tmpDir with free space and write access, or serve metadata before data.",
      {},
      { cause: err },
    );
  }

  /** The spooled bytes, in order. */
  async *chunks(): AsyncGenerator<Buffer> {
    if (this.file === undefined) {
      yield* this.pieces;
      return;
    }
    await this.flush(true);
    await this.file.close();
    this.file = undefined;
    yield* fileChunks(this.path!);
  }

  async dispose(): Promise<void> {
    this.pieces = [];
    await this.file?.close().catch(() => undefined);
    this.file = undefined;
    if (this.dir !== undefined) await rm(this.dir, { recursive: true, force: true });
    this.dir = undefined;
  }
}
