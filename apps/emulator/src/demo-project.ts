/**
 * The demo project: deterministic synthetic users with a planted conversion relationship.
 *
 * Users are generated in ascending `random` order (cumulative exponential spacings give sorted uniforms in
 * O(n) without a sort), so a `random` range is a contiguous index span and serving a slice is a binary search.
 * Every user's values come from a generator seeded by (seed, index), so the same request yields the same bytes.
 */
import { EmulatorError } from "./errors.js";
import { hash32, mix, Rng, unmix } from "./random.js";

export const MAX_USERS = 10_000_000;

/** The platform's "now" for the demo data: fixed so the bytes never depend on the wall clock. */
export const DATA_NOW_SECONDS = Date.UTC(2026, 0, 1) / 1000;

/** What a dataset's moment means for its rows: `since N seconds` after the user's base timestamp, or latest. */
export interface DatasetMoment {
  /** `moment_key` column value. */
  key: string;
  /** Seconds after `user_moment_base_timestamp`; null for the latest state. */
  seconds: number | null;
}

const COUNTRIES = ["US", "GB", "DE", "FR", "NL", "IN", "BR", "JP", "CA", "ES"];
const COUNTRY_CUM = cumulative([0.34, 0.12, 0.1, 0.08, 0.05, 0.1, 0.07, 0.05, 0.05, 0.04]);
const PLATFORMS = ["web", "ios", "android"];
const PLATFORM_CUM = cumulative([0.55, 0.25, 0.2]);
const CHANNELS = ["organic", "paid_search", "social", "referral", "email"];
const CHANNEL_CUM = cumulative([0.38, 0.24, 0.18, 0.12, 0.08]);
const PLANS = ["free", "starter", "pro"];
const PLAN_CUM = cumulative([0.7, 0.2, 0.1]);

function cumulative(weights: number[]): number[] {
  let s = 0;
  return weights.map((w) => (s += w));
}

function pick(values: string[], cum: number[], u: number): string {
  for (let i = 0; i < cum.length; i++) if (u < (cum[i] as number)) return values[i] as string;
  return values[values.length - 1] as string;
}

const HEX2: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const PAD2: string[] = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, "0"));
const dayCache = new Map<number, string>();

/** ISO 8601 (seconds precision) without a Date per call: day prefixes are cached, the time is integer math. */
export function isoSeconds(epochSeconds: number): string {
  const day = Math.floor(epochSeconds / 86400);
  let prefix = dayCache.get(day);
  if (prefix === undefined) {
    prefix = new Date(day * 86400_000).toISOString().slice(0, 11);
    dayCache.set(day, prefix);
  }
  let rest = epochSeconds - day * 86400;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = rest - m * 60;
  return `${prefix}${PAD2[h]}:${PAD2[m]}:${PAD2[s]}Z`;
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;

export class DemoProject {
  readonly users: number;
  readonly seed: number;
  /** The users' `random` values, ascending; index = user index. */
  readonly randoms: Float64Array;
  /** 1 where the user converted; filled by `ensureLabels` or as a side effect of generating rows. */
  private labelBits: Uint8Array | undefined;
  private readonly idKey: number;
  private readonly userSeed: number;
  private readonly rng = new Rng(0);
  /** The last row `generate` formatted (a field, not a return value: no per-row allocation besides the text). */
  private row = "";

  constructor(options: { users: number; seed: number }) {
    const { users, seed } = options;
    if (!Number.isInteger(users) || users < 0 || users > MAX_USERS) {
      throw new EmulatorError("EMULATOR_OPTIONS_INVALID", `users must be an integer in 0..${MAX_USERS}, got ${users}`, {
        hint: "Pass --users with a whole number up to 10,000,000.",
      });
    }
    if (!Number.isInteger(seed)) {
      throw new EmulatorError("EMULATOR_OPTIONS_INVALID", `seed must be an integer, got ${seed}`, {
        hint: "Pass --seed with a whole number.",
      });
    }
    this.users = users;
    this.seed = seed;
    this.idKey = hash32(seed ^ 0x2545f491);
    this.userSeed = hash32(seed ^ 0x68e31da4);
    this.randoms = sortedUniforms(users, hash32(seed ^ 0x1b873593));
  }

  /** Eight hex digits from a bijection of the index: unique, random-looking, and invertible. */
  userId(index: number): string {
    const x = mix(index, this.idKey);
    return `u${HEX2[x >>> 24]}${HEX2[(x >>> 16) & 255]}${HEX2[(x >>> 8) & 255]}${HEX2[x & 255]}`;
  }

  /** The index of a user id of this project, or -1. */
  userIndex(id: unknown): number {
    if (typeof id !== "string" || id.length !== 9 || id.charCodeAt(0) !== 117 /* u */) return -1;
    const hex = id.slice(1);
    if (!/^[0-9a-f]{8}$/.test(hex)) return -1;
    const index = unmix(Number.parseInt(hex, 16), this.idKey);
    return index < this.users ? index : -1;
  }

  /** First index whose `random` is >= x (binary search over the ascending randoms). */
  lowerBound(x: number): number {
    let lo = 0;
    let hi = this.users;
    const r = this.randoms;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((r[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Labels of all users (1 = converted), computing them without formatting rows when needed. */
  labels(): Uint8Array {
    if (this.labelBits === undefined) {
      const bits = new Uint8Array(this.users);
      for (let i = 0; i < this.users; i++) bits[i] = this.generate(i, false, null) ? 1 : 0;
      this.labelBits = bits;
    }
    return this.labelBits;
  }

  /** One row as JSON text (ASCII only, so string length = byte length). */
  rowJson(index: number, moment: DatasetMoment, dataNowIso: string): string {
    this.generate(index, true, { moment, dataNowIso });
    return this.row;
  }

  /**
   * Generates user `index`. With `withRow`, formats the row's JSON into `this.row`. Returns the label.
   * One function for both so the label can never disagree with the row.
   */
  private generate(
    index: number,
    withRow: boolean,
    ctx: { moment: DatasetMoment; dataNowIso: string } | null,
  ): boolean {
    const r = this.rng;
    r.reset(hash32((index ^ this.userSeed) >>> 0) ^ index);
    const signup = r.next() < 0.45;
    const pricing = r.next() < (signup ? 0.5 : 0.2);
    const cart = r.next() < (pricing ? 0.45 : 0.1);
    const invite = signup && r.next() < 0.3;
    const email = r.next() < 0.55;
    const search = r.next() < 0.4;
    const demoMissing = r.next() < 0.1;
    const demo = r.next() < 0.15;
    const support = r.next() < 0.12;
    const notifications = r.next() < 0.35;
    const blog = r.next() < 0.25;
    const z = r.normal();
    const sessions = Math.max(1, Math.floor(Math.exp(1 + 0.6 * z + (signup ? 0.5 : 0) + 0.3 * r.normal())));
    const pageViews = sessions * (2 + r.int(6));
    const events7d = Math.floor(sessions * 1.5 * r.next() + (cart ? 3 : 0));
    const searches = search ? 1 + r.int(10) : 0;
    const emailsOpened = email ? 1 + r.int(8) : 0;
    const cartItems = cart ? 1 + r.int(4) : 0;
    const tickets = support ? 1 + r.int(3) : 0;
    const age = r.next() < 0.2 ? null : 18 + r.int(50);
    const avgSession = round1(Math.exp(4 + 0.4 * z + 0.3 * r.normal()));
    const totalSession = round1(avgSession * sessions);
    const firstAction = r.next() < 0.1 ? null : round1(Math.exp(3 - 0.3 * z + r.normal()));
    const lastVisit = r.next() < 0.1 ? null : round1(r.next() * 60 * Math.exp(-0.3 * z));
    const revenue = r.next() < 0.08 ? Math.round(Math.exp(3 + r.normal()) * 100) / 100 : 0;
    const scroll = r.next() < 0.1 ? null : round3(Math.min(1, Math.max(0, 0.5 + 0.15 * z + 0.1 * r.normal())));
    const loadTime = round1(Math.exp(6.5 + 0.4 * r.normal()));
    const engagement = round3(z + 0.5 * r.normal());
    const country = r.next() < 0.05 ? null : pick(COUNTRIES, COUNTRY_CUM, r.next());
    const platform = pick(PLATFORMS, PLATFORM_CUM, r.next());
    const channel = pick(CHANNELS, CHANNEL_CUM, r.next());
    const plan = pick(PLANS, PLAN_CUM, r.next());

    // The planted relationship: a logistic model over a handful of the features above.
    const logit =
      -2.6 +
      (signup ? 1.3 : 0) +
      (pricing ? 0.9 : 0) +
      (cart ? 0.8 : 0) +
      (invite ? 0.5 : 0) +
      (demo ? 0.3 : 0) -
      (support ? 0.5 : 0) +
      0.6 * z +
      (plan === "pro" ? 0.9 : plan === "starter" ? 0.4 : 0) +
      (platform === "ios" ? 0.3 : 0) +
      (country === "US" ? 0.15 : 0) -
      (channel === "social" ? 0.2 : 0);
    const converted = r.next() < 1 / (1 + Math.exp(-logit));
    const createdOffset = r.int(365 * 86400);
    const conversionDelay = Math.floor(-Math.log(1 - r.next()) * 172800);
    if (!withRow || ctx === null) return converted;

    const now = DATA_NOW_SECONDS;
    const created = now - createdOffset;
    const yTimestamp = converted ? isoSeconds(Math.min(now, created + conversionDelay)) : null;
    const momentTs = ctx.moment.seconds === null ? now : Math.min(now, created + ctx.moment.seconds);
    const createdIso = isoSeconds(created);
    // String concatenation, not an array join: this is the hot loop of building a dataset.
    this.row =
      `["${this.userId(index)}","${createdIso}","${ctx.dataNowIso}",${converted ? '"true"' : '"false"'},` +
        `${yTimestamp === null ? "null" : `"${yTimestamp}"`},${this.randoms[index]},"${ctx.moment.key}",` +
        `"${createdIso}","${isoSeconds(momentTs)}",${signup},${pricing},${cart},${invite},` +
        // Two booleans arrive as strings, as the platform sometimes sends them.
        `"${email}",${search},${demoMissing ? "null" : demo},${support},${notifications},"${blog}",` +
        `${sessions},${pageViews},${events7d},${searches},${emailsOpened},${cartItems},${tickets},${age},` +
        `${totalSession},${avgSession},${firstAction},${lastVisit},${revenue},${scroll},${loadTime},${engagement},` +
        `${country === null ? "null" : `"${country}"`},"${platform}","${channel}","${plan}"]`;
    return converted;
  }

  /** Records labels while rows are generated, so the summary needs no second pass. */
  rowJsonWithLabel(index: number, moment: DatasetMoment, dataNowIso: string, labels: Uint8Array): string {
    labels[index] = this.generate(index, true, { moment, dataNowIso }) ? 1 : 0;
    return this.row;
  }

  /** Adopts labels computed while writing a dataset file. */
  setLabels(labels: Uint8Array): void {
    if (labels.length === this.users) this.labelBits = labels;
  }
}

/** Sorted uniforms in (0, 1): the partial sums of n+1 exponentials, divided by their total. */
function sortedUniforms(n: number, seed: number): Float64Array {
  const rng = new Rng(seed);
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += -Math.log(1 - rng.next());
    out[i] = sum;
  }
  const total = sum - Math.log(1 - rng.next());
  for (let i = 0; i < n; i++) out[i] = (out[i] as number) / total;
  return out;
}
