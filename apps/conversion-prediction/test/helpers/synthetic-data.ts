import { contract } from "@batchkit/manifest";
import { normal, seededRandom } from "./random.js";

/**
 * Users with a planted logistic relationship between their features and y_value:
 *   logit = -1 + 1.1 z(sessions) + 0.7 z(age) + 0.9 paid + country effect (US +0.9, DE -0.7)
 * plus a noise number, a mostly-missing column and an id-like string column that carry nothing.
 */
export const syntheticFeatures = {
  feature_sessions: { name: "Sessions", type: "number", nativeType: "float" },
  feature_age: { name: "Age", type: "number", nativeType: "integer" },
  feature_paid: { name: "Paid", type: "boolean", nativeType: "boolean" },
  feature_country: { name: "Country", type: "string", nativeType: "string" },
  feature_noise: { name: "Noise", type: "number", nativeType: "float" },
  feature_sparse: { name: "Sparse", type: "number", nativeType: "float" },
  feature_token: { name: "Token", type: "string", nativeType: "string" },
} as const;

export const syntheticColumns = [...contract.requiredColumns, ...Object.keys(syntheticFeatures)];

export interface SyntheticOptions {
  users: number;
  seed: number;
  /** Prefix of user ids, e.g. to make train and scoring users differ. */
  idPrefix?: string;
}

export type Row = (string | number | boolean | null)[];

export function syntheticRows(options: SyntheticOptions): Row[] {
  const random = seededRandom(options.seed);
  const countries = ["US", "NL", "DE", "FR", "GB"];
  const rows: Row[] = [];
  for (let i = 0; i < options.users; i++) {
    const sessions = Math.exp(normal(random) * 0.6 + 2);
    const age = Math.round(35 + normal(random) * 10);
    const paid = random() < 0.3;
    const country = random() < 0.03 ? `rare-${Math.floor(random() * 500)}` : countries[Math.floor(random() * countries.length)]!;
    const logit =
      -1 + 1.1 * ((Math.log(sessions) - 2) / 0.6) * 1 + 0.7 * ((age - 35) / 10) + 0.9 * (paid ? 1 : 0) +
      (country === "US" ? 0.9 : country === "DE" ? -0.7 : 0);
    const converted = random() < 1 / (1 + Math.exp(-logit));
    const missingAge = random() < 0.1;
    // Booleans arrive as JSON booleans or as the strings "true"/"false".
    const paidValue = random() < 0.05 ? null : random() < 0.5 ? paid : String(paid);
    rows.push([
      `${options.idPrefix ?? "user"}-${i}`,
      "2026-01-01T00:00:00Z",
      "2026-12-01T00:00:00Z",
      converted ? "true" : "false",
      converted ? "2026-11-01T00:00:00Z" : null,
      random(),
      "m1",
      "2026-10-01T00:00:00Z",
      "2026-10-02T00:00:00Z",
      Math.log(sessions) * 5,
      missingAge ? null : age,
      paidValue,
      country,
      normal(random),
      random() < 0.97 ? null : random(),
      `tok-${Math.floor(random() * 1e9)}`,
    ]);
  }
  return rows;
}

export function datasetBody(rows: readonly Row[], columns: readonly string[] = syntheticColumns): string {
  return JSON.stringify({ metadata: { columns }, data: rows });
}
