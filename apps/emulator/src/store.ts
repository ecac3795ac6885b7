/**
 * The project's user properties after a run, in SQLite (better-sqlite3): one row per user, category and
 * property, tagged with the run. Bulk inserts use multi-row statements inside transactions and the lookup
 * index is rebuilt once at the end of a run, which is ~7x faster than inserting into an indexed table.
 */
import Database from "better-sqlite3";

/** The store's file name inside a work directory. */
export const STORE_FILE = "user-properties.sqlite";

const ROWS_PER_STATEMENT = 100;
const COLUMNS_PER_ROW = 5;

export type StoredValue = string | number | null;

export class PropertyStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly bulk: Database.Statement;
  private readonly single: Database.Statement;
  private readonly args: StoredValue[] = new Array<StoredValue>(ROWS_PER_STATEMENT * COLUMNS_PER_ROW);
  private filled = 0;

  constructor(path: string) {
    this.path = path;
    this.db = new Database(path);
    // A local emulator store: speed over durability, the run can always be repeated.
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = OFF");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS runs (
        run_id TEXT PRIMARY KEY, plugin TEXT NOT NULL, started_at TEXT NOT NULL, finished_at TEXT,
        status TEXT NOT NULL, users INTEGER NOT NULL, summary TEXT);
      CREATE TABLE IF NOT EXISTS user_properties (
        run_id TEXT NOT NULL, category TEXT, property TEXT NOT NULL, user_id TEXT NOT NULL, value);`);
    const placeholders = Array.from({ length: ROWS_PER_STATEMENT }, () => "(?,?,?,?,?)").join(",");
    this.bulk = this.db.prepare(`INSERT INTO user_properties (run_id, category, property, user_id, value) VALUES ${placeholders}`);
    this.single = this.db.prepare("INSERT INTO user_properties (run_id, category, property, user_id, value) VALUES (?,?,?,?,?)");
  }

  beginRun(runId: string, plugin: string, users: number): void {
    this.db.exec("DROP INDEX IF EXISTS user_properties_lookup");
    this.db
      .prepare("INSERT INTO runs (run_id, plugin, started_at, status, users) VALUES (?, ?, ?, 'running', ?)")
      .run(runId, plugin, new Date().toISOString(), users);
  }

  /** Inserts `rows` ([user_id, ...values], already validated) in one transaction. */
  insert(runId: string, category: string | null, properties: readonly string[], rows: readonly (readonly unknown[])[]): void {
    this.db.transaction(() => {
      const args = this.args;
      for (const row of rows) {
        const id = String(row[0]);
        for (let p = 0; p < properties.length; p++) {
          const o = this.filled * COLUMNS_PER_ROW;
          args[o] = runId;
          args[o + 1] = category;
          args[o + 2] = properties[p] as string;
          args[o + 3] = id;
          args[o + 4] = toStored(row[p + 1]);
          if (++this.filled === ROWS_PER_STATEMENT) {
            this.bulk.run(args);
            this.filled = 0;
          }
        }
      }
      for (let r = 0; r < this.filled; r++) {
        this.single.run(args.slice(r * COLUMNS_PER_ROW, (r + 1) * COLUMNS_PER_ROW));
      }
      this.filled = 0;
    })();
  }

  /** Deletes what a run wrote (a batch whose data.json turned out invalid must leave nothing behind). */
  deleteRun(runId: string): void {
    this.db.prepare("DELETE FROM user_properties WHERE run_id = ?").run(runId);
  }

  /** Builds the lookup index once all batches are in. */
  buildIndex(): void {
    this.db.exec("CREATE INDEX IF NOT EXISTS user_properties_lookup ON user_properties (user_id, category, property)");
  }

  finishRun(runId: string, status: "success" | "error", summary: unknown): void {
    this.db
      .prepare("UPDATE runs SET finished_at = ?, status = ?, summary = ? WHERE run_id = ?")
      .run(new Date().toISOString(), status, JSON.stringify(summary), runId);
  }

  /** Counts for the summary's exactly-once check, straight from the store. */
  counts(runId: string, property: string): { rows: number; distinctUsers: number } {
    const r = this.db
      .prepare("SELECT COUNT(*) AS rows, COUNT(DISTINCT user_id) AS distinctUsers FROM user_properties WHERE run_id = ? AND property = ?")
      .get(runId, property) as { rows: number; distinctUsers: number };
    return r;
  }

  query<T = unknown>(sql: string, ...params: unknown[]): T[] {
    return this.db.prepare(sql).all(...params) as T[];
  }

  close(): void {
    this.db.close();
  }
}

/** SQLite has no booleans: store them as 1/0, like the platform's numeric properties. */
function toStored(v: unknown): StoredValue {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number" || typeof v === "string" || v === null) return v;
  return JSON.stringify(v);
}
