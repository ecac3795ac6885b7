import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open, rename, rm } from "node:fs/promises";
import { createInterface } from "node:readline";

/**
 * "Last one wins" for repeated user ids: two passes over a data.json written one update per line. Pass 1
 * finds the last line of each candidate id (by exact value, so a fingerprint collision keeps both users);
 * pass 2 copies every other line. Memory: one entry per candidate id.
 */
export async function dedupeUpdates(file: string, candidates: { has(id: string | number): boolean }): Promise<{ removed: number; bytes: number; sha256: string }> {
  const last = new Map<string | number, number>();
  let n = 0;
  for await (const line of lines(file)) {
    const id = updateId(line);
    if (id !== undefined && candidates.has(id)) last.set(id, n);
    if (id !== undefined) n++;
  }
  const out = `${file}.dedupe`;
  const fh = await open(out, "wx");
  const hash = createHash("sha256");
  let bytes = 0;
  let removed = 0;
  let kept = 0;
  let text = "";
  const flush = async (): Promise<void> => {
    const buf = Buffer.from(text, "utf8");
    text = "";
    hash.update(buf);
    bytes += buf.length;
    await fh.write(buf);
  };
  try {
    n = 0;
    for await (const line of lines(file)) {
      const id = updateId(line);
      if (id === undefined) {
        text += `${line}\n`;
      } else {
        const at = n++;
        const lastAt = last.get(id);
        if (lastAt !== undefined && lastAt !== at) {
          removed++;
          continue;
        }
        // The first kept update has no leading comma, whichever line it was.
        const body = line.startsWith(",") ? line.slice(1) : line;
        text += kept === 0 ? `${body}\n` : `,${body}\n`;
        kept++;
      }
      if (text.length >= 256 * 1024) await flush();
    }
    await flush();
    await fh.sync();
    await fh.close();
    await rename(out, file);
  } catch (err) {
    await fh.close().catch(() => undefined);
    await rm(out, { force: true });
    throw err;
  }
  return { removed, bytes, sha256: hash.digest("hex") };
}

function lines(file: string): AsyncIterable<string> {
  return createInterface({ input: createReadStream(file, { encoding: "utf8", highWaterMark: 1024 * 1024 }), crlfDelay: Infinity });
}

/** The user id of an update line (`["id",…]` or `,["id",…]`); undefined for the header and trailer lines. */
function updateId(line: string): string | number | undefined {
  const start = line.startsWith(",[") ? 1 : line.startsWith("[") ? 0 : -1;
  if (start === -1) return undefined;
  const update = JSON.parse(line.slice(start)) as unknown[];
  return update[0] as string | number;
}
