import { afterEach, beforeEach } from "vitest";
import { startStorageServer, type StorageServer } from "./storage-server.js";
import { makeTempDir } from "./temp-dir.js";

export type TempDir = Awaited<ReturnType<typeof makeTempDir>>;

/** A fresh storage server and temp folder for every test of the calling file (or describe block). */
export function useStorageFixture(assign: (server: StorageServer, tmp: TempDir) => void): void {
  let server: StorageServer | undefined;
  let tmp: TempDir | undefined;
  beforeEach(async () => {
    server = await startStorageServer();
    tmp = await makeTempDir();
    assign(server, tmp);
  });
  afterEach(async () => {
    await server?.close();
    await tmp?.cleanup();
  });
}
