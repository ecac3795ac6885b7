/**
 * The JSX the platform renders for a stage's `data` (it receives that object as `data`). Plain
 * elements only, so it renders without any component library.
 */
export const profileView = `
export default function View({ data }) {
  const pct = (x) => (x == null ? "" : (x * 100).toFixed(1) + "%");
  const num = (x) => (x == null ? "" : Number(x).toPrecision(4));
  return (
    <div>
      <h2>Dataset profile</h2>
      <p>{data.users} users, conversion rate {pct(data.conversionRate)}; {data.selectedFeatures.length} of {data.features.length} features chosen for training.</p>
      <table>
        <thead><tr><th>Feature</th><th>Type</th><th>Missing</th><th>Summary</th><th>Used</th></tr></thead>
        <tbody>
          {data.features.map((f) => (
            <tr key={f.column}>
              <td>{f.name || f.column}</td>
              <td>{f.type}</td>
              <td>{pct(f.missingRate)}</td>
              <td>
                {f.quantiles ? "p5 " + num(f.quantiles.p05) + " / median " + num(f.quantiles.p50) + " / p95 " + num(f.quantiles.p95) : ""}
                {f.trueRate != null ? "true " + pct(f.trueRate) : ""}
                {f.topCategories ? f.topCategories.slice(0, 5).map((c) => c.value + " " + pct(c.share)).join(", ") : ""}
              </td>
              <td>{f.selected ? "yes" : "no: " + f.reason}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
`.trim();

export const trainingView = `
export default function View({ data }) {
  const m = data.metrics;
  const f = (x, d = 3) => (x == null ? "n/a" : Number(x).toFixed(d));
  return (
    <div>
      <h2>Conversion model</h2>
      <p>Validation AUC {f(m.validation.auc)}, log-loss {f(m.validation.logLoss)} (constant baseline {f(m.validation.baselineLogLoss)}), on {m.validationUsers} users; trained on {m.fittedUsers} users.</p>
      <h3>Lift by decile</h3>
      <table>
        <thead><tr><th>Decile</th><th>Users</th><th>Mean predicted</th><th>Converted</th><th>Lift</th></tr></thead>
        <tbody>
          {m.validation.deciles.map((d) => (
            <tr key={d.decile}><td>{d.decile}</td><td>{d.users}</td><td>{f(d.meanPredicted)}</td><td>{f(d.conversionRate)}</td><td>{f(d.lift, 2)}</td></tr>
          ))}
        </tbody>
      </table>
      <h3>Strongest inputs</h3>
      <ul>{m.coefficients.slice(0, 10).map((c) => <li key={c.input}>{c.input}: {f(c.weight)}</li>)}</ul>
    </div>
  );
}
`.trim();
