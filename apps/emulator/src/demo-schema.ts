/**
 * The demo project's columns and feature metadata. Feature ids follow Stormly's style (`feature_acaa2cf5d`);
 * `type`/`nativeType` use the names the io reader's feature kinds expect ([choice], see README).
 */
import { contract } from "@batchkit/manifest";
import { hash32 } from "./random.js";

export type FeatureType = "boolean" | "number" | "categorical";

export interface FeatureDef {
  /** Stable name used in the generator. */
  key: string;
  /** Human name shown in `metadata.features`. */
  name: string;
  type: FeatureType;
  nativeType: "bool" | "int" | "float" | "string";
}

/** The columns every dataset has, in the platform's order (from the contract). */
export const REQUIRED_COLUMNS: readonly string[] = contract.requiredColumns;

const bool = (key: string, name: string): FeatureDef => ({ key, name, type: "boolean", nativeType: "bool" });
const int = (key: string, name: string): FeatureDef => ({ key, name, type: "number", nativeType: "int" });
const float = (key: string, name: string): FeatureDef => ({ key, name, type: "number", nativeType: "float" });
const cat = (key: string, name: string): FeatureDef => ({ key, name, type: "categorical", nativeType: "string" });

/** Order matters: it is the column order after the required columns, and the generator fills it in this order. */
export const FEATURES: readonly FeatureDef[] = [
  bool("did_signup", "Did Signup"),
  bool("did_view_pricing", "Did View Pricing"),
  bool("did_add_to_cart", "Did Add To Cart"),
  bool("did_invite_teammate", "Did Invite Teammate"),
  bool("did_open_email", "Did Open Email"),
  bool("did_use_search", "Did Use Search"),
  bool("did_watch_demo", "Did Watch Demo"),
  bool("did_contact_support", "Did Contact Support"),
  bool("did_enable_notifications", "Did Enable Notifications"),
  bool("did_visit_blog", "Did Visit Blog"),
  int("sessions", "Sessions"),
  int("page_views", "Page Views"),
  int("events_7d", "Events In First 7 Days"),
  int("searches", "Searches"),
  int("emails_opened", "Emails Opened"),
  int("cart_items", "Cart Items"),
  int("support_tickets", "Support Tickets"),
  int("age", "Age"),
  float("total_session_seconds", "Total Session Duration (s)"),
  float("avg_session_seconds", "Average Session Duration (s)"),
  float("time_to_first_action_seconds", "Time To First Action (s)"),
  float("days_since_last_visit", "Days Since Last Visit"),
  float("revenue_to_date", "Revenue To Date"),
  float("scroll_depth", "Average Scroll Depth"),
  float("load_time_ms", "Average Page Load (ms)"),
  float("engagement_score", "Engagement Score"),
  cat("country", "Country"),
  cat("platform", "Platform"),
  cat("acquisition_channel", "Acquisition Channel"),
  cat("plan", "Plan"),
];

/** `feature_` + 9 hex digits derived from the key, so ids are stable across runs and seeds. */
export function featureId(key: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  const a = hash32(h).toString(16).padStart(8, "0");
  const b = (hash32(h ^ 0x5bd1e995) & 0xf).toString(16);
  return `feature_${a}${b}`;
}

export const FEATURE_IDS: readonly string[] = FEATURES.map((f) => featureId(f.key));

export const COLUMNS: readonly string[] = [...REQUIRED_COLUMNS, ...FEATURE_IDS];

export type FeatureMetadata = {
  name: string;
  type: FeatureType;
  nativeType: string;
  moment: { type: "since"; seconds: number };
};

export function featureMetadata(seconds: number): Record<string, FeatureMetadata> {
  const out: Record<string, FeatureMetadata> = {};
  FEATURES.forEach((f, i) => {
    out[FEATURE_IDS[i] as string] = {
      name: f.name,
      type: f.type,
      nativeType: f.nativeType,
      moment: { type: "since", seconds },
    };
  });
  return out;
}

/** The project's goal, as the platform describes it in `metadata.goal`. */
export const GOAL = {
  action: "did",
  event: "Subscription Purchased",
  times: 1,
  human: "Did Subscription Purchased at least 1 time",
  type: "conversion",
} as const;
