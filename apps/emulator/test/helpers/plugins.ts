import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** The tiny fixture plugin as an argv (manifest.json results.json are appended by the emulator). */
export const tinyPlugin: string[] = [process.execPath, fileURLToPath(new URL("../fixtures/tiny-plugin.mjs", import.meta.url))];

/** The reference plugin's built entry, when it has been built. */
export const referencePluginMain = fileURLToPath(new URL("../../../conversion-prediction/dist/main.js", import.meta.url));
export const referencePluginBuilt = existsSync(referencePluginMain);
