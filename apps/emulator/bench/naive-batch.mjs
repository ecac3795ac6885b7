// A naive batch stage, the way a first plugin is often written, as the baseline of the end-to-end bench.
//   node naive-batch.mjs parse  manifest.json results.json   whole body in memory, JSON.parse, JSON.stringify
//   node naive-batch.mjs stream manifest.json results.json   stream-json parser + pick + streamArray
// It scores with a fixed linear function of the model's feature columns: the model is not the point here,
// reading and writing the slice is. Plain Node, fetch, no workspace packages.
import { createWriteStream, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { Readable } from "node:stream";

const [mode, manifestPath, resultsPath] = process.argv.slice(2);

function writeResults(status) {
  writeFileSync(`${resultsPath}.tmp`, JSON.stringify({ status }));
  renameSync(`${resultsPath}.tmp`, resultsPath);
}

function scorer(columns, options) {
  const wanted = Array.isArray(options.features) ? options.features : columns.filter((c) => c.startsWith("feature_"));
  const at = wanted.map((c) => columns.indexOf(c)).filter((i) => i >= 0);
  const idAt = columns.indexOf("user_id");
  return (row) => {
    let z = -1;
    for (let k = 0; k < at.length; k++) {
      const v = row[at[k]];
      const x = typeof v === "number" ? v : v === true || v === "true" ? 1 : 0;
      z += (((k * 7919) % 13) - 6) * 0.01 * Math.min(x, 100);
    }
    return [row[idAt], Math.round((1 / (1 + Math.exp(-z))) * 1e6) / 1e6];
  };
}

// fetch asks for gzip by default; over loopback the emulator would then spend a core compressing. Ask for
// identity, as the reference plugin does from a loopback host, so the comparison is of reading and writing.
const IDENTITY = { headers: { "accept-encoding": "identity" } };

async function upload(manifest, body) {
  const signed = await fetch(`${manifest.getUploadUrls.batch}/data.json`);
  if (!signed.ok) throw new Error(`upload_url answered ${signed.status}`);
  const put = await fetch((await signed.text()).trim(), { method: "PUT", body });
  if (!put.ok) throw new Error(`PUT answered ${put.status}`);
}

async function parseMode(manifest) {
  const res = await fetch(manifest.dataUrls.latest, IDENTITY);
  if (!res.ok) throw new Error(`dataset answered ${res.status}`);
  const doc = JSON.parse(await res.text());
  const score = scorer(doc.metadata.columns, manifest.options);
  const last = new Map();
  for (const row of doc.data) {
    const u = score(row);
    last.set(u[0], u);
  }
  const text = JSON.stringify({ category: "Predictions", properties: ["Rating"], updates: [...last.values()] });
  writeFileSync("data.json", text);
  await upload(manifest, readFileSync("data.json"));
}

async function streamMode(manifest) {
  // stream-json is CommonJS; the emulator has it as a devDependency for this baseline.
  const require = createRequire(import.meta.url);
  const { parser } = require("stream-json");
  const { pick } = require("stream-json/filters/Pick");
  const { streamArray } = require("stream-json/streamers/StreamArray");
  const res = await fetch(manifest.dataUrls.latest, IDENTITY);
  if (!res.ok) throw new Error(`dataset answered ${res.status}`);
  const body = Readable.fromWeb(res.body);
  // The emulator sends metadata first: read the columns from the head of the body, then stream the rows.
  let head = "";
  let columns = null;
  const tee = new (require("node:stream").PassThrough)();
  body.on("data", (chunk) => {
    if (columns === null) {
      head += chunk.toString("utf8");
      const m = /"columns":(\[[^\]]*\])/.exec(head);
      if (m) columns = JSON.parse(m[1]);
    }
  });
  body.pipe(tee);
  const rows = tee.pipe(parser()).pipe(pick({ filter: "data" })).pipe(streamArray());
  let score = null;
  const out = createWriteStream("data.json");
  out.write('{"category":"Predictions","properties":["Rating"],"updates":[\n');
  let first = true;
  for await (const { value } of rows) {
    score ??= scorer(columns, manifest.options);
    const line = (first ? "" : ",\n") + JSON.stringify(score(value));
    first = false;
    if (!out.write(line)) await new Promise((r) => out.once("drain", r));
  }
  out.end("\n]}\n");
  await new Promise((r, j) => out.on("finish", r).on("error", j));
  await upload(manifest, readFileSync("data.json"));
}

try {
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  if (mode === "parse") await parseMode(manifest);
  else if (mode === "stream") await streamMode(manifest);
  else throw new Error(`unknown mode ${mode}`);
  writeResults({ code: "success", title: null, explanation: null, backtrace: null });
} catch (err) {
  process.stderr.write(`${err.stack}\n`);
  writeResults({ code: "error", title: "Naive batch failed", explanation: String(err.message), backtrace: String(err.stack) });
  process.exitCode = 1;
}
