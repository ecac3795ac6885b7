// Uploads a 1 GB file through the built dist to a loopback storage server and reports peak RSS.
// Each client runs in its own process so its peak RSS is its own; the server is another process.
// Compared side by side: @batchkit/upload (file re-read per attempt, 1 MiB chunks) and the naive
// readFile + PUT of one Buffer.
// Run: pnpm turbo run build --filter @batchkit/upload... && node bench/upload-1gb.mjs [MB] [runs]
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === "--server") {
  const { createServer } = await import("node:http");
  const { createHash } = await import("node:crypto");
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, "http://x");
    if (req.method === "GET" && url.pathname.startsWith("/upload_url/")) {
      res.end(`http://127.0.0.1:${server.address().port}/store/${url.pathname.slice(12)}?X-Amz-Signature=bench`);
      return;
    }
    if (req.method === "PUT") {
      if (req.headers["content-length"] === undefined) return void res.writeHead(411).end();
      const hash = createHash("sha256");
      let n = 0;
      for await (const c of req) { hash.update(c); n += c.length; }
      res.writeHead(200, { "x-sha256": hash.digest("hex"), "x-bytes": String(n) }).end();
      return;
    }
    res.writeHead(404).end();
  });
  server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }));
} else if (process.argv[2] === "--client") {
  const [, , , variant, file, port] = process.argv;
  const base = `http://127.0.0.1:${port}/upload_url`;
  let peak = 0;
  const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
  const t = performance.now();
  let bytes;
  if (variant === "batchkit") {
    const { upload } = await import("../dist/index.js");
    bytes = (await upload(file, { uploadUrl: base, path: "big.bin" })).bytes;
  } else {
    const { readFile } = await import("node:fs/promises");
    const { request } = await import("undici");
    const signed = (await (await request(`${base}/big.bin`)).body.text()).trim();
    const data = await readFile(file);
    const res = await request(signed, { method: "PUT", body: data, headers: { "content-length": String(data.length) } });
    await res.body.dump();
    bytes = data.length;
  }
  const ms = performance.now() - t;
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  const maxRssKb = process.resourceUsage().maxRSS;
  process.stdout.write(JSON.stringify({ variant, bytes, ms, peakRss: peak, maxRss: maxRssKb * 1024 }) + "\n");
} else {
  const sizeMb = Number(process.argv[2] ?? 1024);
  const runs = Number(process.argv[3] ?? 3);
  const dir = await mkdtemp(join(tmpdir(), "batchkit-upload-bench-"));
  const file = join(dir, "big.bin");
  try {
    // Written in 1 MiB pieces of pseudo-random bytes, so the bench itself never holds the file.
    const out = createWriteStream(file);
    const piece = Buffer.alloc(1024 * 1024);
    for (let i = 0; i < piece.length; i++) piece[i] = (i * 2654435761) >>> 24;
    for (let i = 0; i < sizeMb; i++) {
      piece[0] = i & 0xff;
      if (!out.write(Buffer.from(piece))) await once(out, "drain");
    }
    out.end();
    await once(out, "finish");

    const server = spawn(process.execPath, [self, "--server"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const [{ port }] = await once(server, "message");
    const results = { batchkit: [], naive: [] };
    for (let r = 0; r < runs; r++) {
      for (const variant of Object.keys(results)) {
        const child = spawn(process.execPath, [self, "--client", variant, file, String(port)], { stdio: ["ignore", "pipe", "inherit"] });
        let text = "";
        child.stdout.on("data", (c) => (text += c));
        const [code] = await once(child, "close");
        if (code !== 0) throw new Error(`${variant} client exited ${code}`);
        results[variant].push(JSON.parse(text));
      }
    }
    server.kill();
    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const mb = (b) => (b / 1048576).toFixed(0);
    console.log(`file ${sizeMb} MiB, ${runs} runs each, interleaved, node ${process.version}`);
    console.log("| client | median peak RSS (MiB) | max of maxRSS (MiB) | median MB/s |");
    console.log("| --- | --- | --- | --- |");
    for (const [variant, xs] of Object.entries(results)) {
      const rss = median(xs.map((x) => x.peakRss));
      const maxRss = Math.max(...xs.map((x) => x.maxRss));
      const speed = median(xs.map((x) => x.bytes / 1e6 / (x.ms / 1000)));
      console.log(`| ${variant} | ${mb(rss)} | ${mb(maxRss)} | ${speed.toFixed(0)} |`);
    }
    const ratio = median(results.naive.map((x) => x.maxRss)) / median(results.batchkit.map((x) => x.maxRss));
    console.log(`naive / batchkit maxRSS ratio: ${ratio.toFixed(1)}x`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
