/**
 * The default plugin: the reference plugin's built `dist/main.js`. Its exports map hides package.json and
 * dist from `require.resolve`, so the package is found through node_modules next to this package.
 */
import { existsSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { EmulatorError } from "./errors.js";

/** This package's directory (src/ or dist/ is one level below it). */
export function emulatorPackageDir(): string {
  return dirname(dirname(fileURLToPath(import.meta.url)));
}

export function defaultPluginCommand(): string[] {
  const link = join(emulatorPackageDir(), "node_modules", "@batchkit", "conversion-prediction");
  const main = existsSync(link) ? join(realpathSync(link), "dist", "main.js") : "";
  if (main === "" || !existsSync(main)) {
    throw new EmulatorError("EMULATOR_OPTIONS_INVALID", `the reference plugin is not built (looked for ${main || join(link, "dist", "main.js")})`, {
      hint: "Build it first (pnpm turbo run build --filter @batchkit/conversion-prediction...) or pass --plugin \"<command>\".",
    });
  }
  return [process.execPath, main];
}
