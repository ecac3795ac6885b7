// The reader over loopback HTTP with and without a small young generation, alternating, one process each:
//   node bench/young-generation.mjs [slice.json]   (default .bench/slice-1000000.json from pnpm bench --keep)
import { createServer } from "node:http";
import { createReadStream, statSync } from "node:fs";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
const path = process.argv[2] ?? new URL("../.bench/slice-1000000.json", import.meta.url).pathname;
const server = createServer((req, res) => { res.writeHead(200, { "content-type": "application/json", "content-length": String(statSync(path).size) }); createReadStream(path, { highWaterMark: 1 << 20 }).pipe(res); });
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const url = `http://127.0.0.1:${server.address().port}/x`;
for (const flags of [[], ["--max-semi-space-size=2"], [], ["--max-semi-space-size=2"]]) {
  const { stdout } = await promisify(execFile)(process.execPath, [...flags, "--expose-gc", new URL("./child.mjs", import.meta.url).pathname, "reader-http", url]);
  const r = JSON.parse(stdout.trim().split("\n").pop());
  console.log(flags.join(" ") || "(default)", Math.round(r.usersPerSec), "users/s", r.peakRssMB.toFixed(0), "MB");
}
server.close();
