import { realpathSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/** The tiny fixture plugin as an argv (manifest.json results.json are appended by the emulator). */
export const tinyPlugin: string[] = [process.execPath, fileURLToPath(new URL("../fixtures/tiny-plugin.mjs", import.meta.url))];

// The reference plugin is a devDependency: found through this package's node_modules link.
const referenceDir = realpathSync(fileURLToPath(new URL("../../node_modules/@batchkit/conversion-prediction", import.meta.url)));

/**
 * The reference plugin from its TypeScript sources (through tsx, with the workspace packages' sources too), so
 * the lifecycle test runs the code under test on a fresh clone, without a build and never a stale dist.
 */
export const referencePlugin: string[] = [
  process.execPath,
  "--conditions=@batchkit/source",
  "--import",
  pathToFileURL(createRequire(import.meta.url).resolve("tsx")).href,
  join(referenceDir, "src", "main.ts"),
];
