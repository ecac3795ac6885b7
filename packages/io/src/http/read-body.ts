import type { Readable } from "node:stream";

/** Read at most `max` bytes of a body into memory; the rest is discarded (and the socket freed). */
export async function readLimited(body: Readable, max: number): Promise<{ buffer: Buffer; complete: boolean }> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    const room = max - size;
    if (chunk.length > room) {
      if (room > 0) parts.push(chunk.subarray(0, room));
      size = max;
      discard(body);
      return { buffer: Buffer.concat(parts, size), complete: false };
    }
    parts.push(chunk);
    size += chunk.length;
  }
  return { buffer: Buffer.concat(parts, size), complete: true };
}

/** Up to 4 KiB of an error response, best effort: a failing read must not hide the status. */
export async function errorBodyText(body: Readable): Promise<string> {
  try {
    const { buffer } = await readLimited(body, 4096);
    return buffer.toString("utf8");
  } catch {
    return "";
  }
}

/** Drop a body we will not read. undici emits an AbortError on destroy; nobody listens, so swallow it. */
export function discard(body: Readable): void {
  body.on("error", () => undefined);
  body.destroy();
}
