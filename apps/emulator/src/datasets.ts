/**
 * The project's datasets: each key (initial, latest, train_0, ...) maps to a moment; rows files are built
 * once per moment, lazily, and shared by every key with that moment.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { buildDatasetFile, type DatasetFile } from "./dataset-file.js";
import { type DatasetMoment, DATA_NOW_SECONDS, type DemoProject, isoSeconds } from "./demo-project.js";
import { EmulatorError } from "./errors.js";
import { hash32 } from "./random.js";

/** A moment as manifests describe it. */
export type Moment = { type: "since"; seconds: number } | { type: "latest"; seconds: 0 };

export interface DatasetRef {
  key: string;
  id: string;
  moment: Moment;
}

/** [choice] What `POST initial_dataset/<kind>` means: the moment of the initial dataset. */
export const INITIAL_KINDS: Record<string, Moment> = {
  "0_sec": { type: "since", seconds: 0 },
  latest: { type: "latest", seconds: 0 },
  // The demo's conversion delay is exponential with a 2-day mean: 95% of conversions happen within 3 means.
  "95_pct": { type: "since", seconds: 517_656 },
};

/** The moment implied by a dataset key alone (`train_6270`, `latest`), for the developer endpoints. */
export function momentOfKey(key: string): Moment | null {
  if (key === "latest") return { type: "latest", seconds: 0 };
  const m = /^[a-z]+_(\d+)$/i.exec(key);
  return m === null ? null : { type: "since", seconds: Number(m[1]) };
}

function momentKey(moment: Moment): string {
  return moment.type === "latest" ? "latest" : `since_${moment.seconds}`;
}

export class Datasets {
  private readonly project: DemoProject;
  private readonly dir: string;
  private readonly byId = new Map<string, DatasetRef>();
  private readonly files = new Map<string, Promise<DatasetFile>>();
  private readonly ready = new Set<string>();
  private readonly salt: number;

  constructor(project: DemoProject, dir: string, salt: number) {
    this.project = project;
    this.dir = dir;
    this.salt = salt;
  }

  /** Registers (or finds) the dataset `key` at `moment`; its id is stable for the same key and moment. */
  register(key: string, moment: Moment): DatasetRef {
    if (!/^[A-Za-z0-9_.-]{1,100}$/.test(key)) {
      throw new EmulatorError("EMULATOR_STAGE_REQUEST_INVALID", `dataset key ${JSON.stringify(key)} is not a valid key`, {
        hint: "Use dataset keys of letters, digits and underscores, such as train_0.",
      });
    }
    if (moment.type === "since" && (!Number.isInteger(moment.seconds) || moment.seconds < 0)) {
      throw new EmulatorError("EMULATOR_STAGE_REQUEST_INVALID", `dataset ${key}: moment.seconds must be a whole number >= 0, got ${moment.seconds}`, {
        hint: 'Ask for datasets as {"moment": {"type": "since", "seconds": 0}}.',
      });
    }
    let h = this.salt;
    for (const ch of `${key}|${momentKey(moment)}`) h = hash32(h ^ ch.charCodeAt(0));
    const id = `ds${h.toString(16).padStart(8, "0")}`;
    const ref: DatasetRef = { key, id, moment };
    this.byId.set(id, ref);
    return ref;
  }

  get(id: string): DatasetRef | undefined {
    return this.byId.get(id);
  }

  isReady(ref: DatasetRef): boolean {
    return this.ready.has(momentKey(ref.moment));
  }

  /** The rows file of a dataset, built on first use; concurrent callers share one build. */
  file(ref: DatasetRef): Promise<DatasetFile> {
    const mk = momentKey(ref.moment);
    let promise = this.files.get(mk);
    if (promise === undefined) {
      const moment: DatasetMoment = { key: mk, seconds: ref.moment.type === "latest" ? null : ref.moment.seconds };
      const p = this.project;
      const path = join(this.dir, `users-${p.users}-seed-${p.seed}-${mk}.rows`);
      promise = mkdir(this.dir, { recursive: true })
        .then(() => buildDatasetFile(p, moment, isoSeconds(DATA_NOW_SECONDS), path))
        .then((file) => {
          this.ready.add(mk);
          return file;
        });
      promise.catch(() => this.files.delete(mk));
      this.files.set(mk, promise);
    }
    return promise;
  }
}
