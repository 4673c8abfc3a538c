import type { DemoReport, Histogram } from "./report";

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(2)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${bytes} B`;
}

function svgHistogram(h: Histogram, color: string, title: string): string {
  const width = 300;
  const height = 110;
  const peak = Math.max(1, ...h.counts);
  const barWidth = width / h.counts.length;
  const bars = h.counts
    .map((c, i) => {
      const barHeight = (c / peak) * (height - 20);
      return `<rect x="${(i * barWidth).toFixed(2)}" y="${(height - 14 - barHeight).toFixed(2)}" width="${Math.max(0.5, barWidth - 0.6).toFixed(2)}" height="${barHeight.toFixed(2)}" fill="${color}"/>`;
    })
    .join("");
  const left = h.min.toFixed(3);
  const right = (h.min + h.binWidth * h.counts.length).toFixed(3);
  return `<figure><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(title)}">${bars}<text x="0" y="${height - 2}" font-size="9">${left}</text><text x="${width}" y="${height - 2}" font-size="9" text-anchor="end">${right}</text></svg><figcaption>${escapeHtml(title)}</figcaption></figure>`;
}

function svgAccuracyVsBytes(report: DemoReport): string {
  const width = 560;
  const height = 300;
  const pad = 48;
  const xs = report.stages.map((s) => Math.log10(s.bytes));
  const ys = report.stages.map((s) => s.accuracy * 100);
  const xMin = Math.min(...xs) - 0.2;
  const xMax = Math.max(...xs) + 0.2;
  const yMin = Math.min(...ys) - 0.5;
  const yMax = Math.max(...ys) + 0.5;
  const px = (x: number) => pad + ((x - xMin) / (xMax - xMin)) * (width - 2 * pad);
  const py = (y: number) => height - pad - ((y - yMin) / (yMax - yMin)) * (height - 2 * pad);
  // Points are numbered and named in a legend below: stage names are too long to place beside
  // points that often sit on top of each other (every int8 row has the same size).
  const points = report.stages
    .map(
      (_s, i) =>
        `<circle cx="${px(xs[i] as number).toFixed(1)}" cy="${py(ys[i] as number).toFixed(1)}" r="4" fill="#2563eb"/><text x="${(px(xs[i] as number) + 5).toFixed(1)}" y="${(py(ys[i] as number) - 5 - (i % 2) * 9).toFixed(1)}" font-size="10">${i + 1}</text>`,
    )
    .join("");
  return `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="accuracy versus bytes">
<line x1="${pad}" y1="${height - pad}" x2="${width - pad}" y2="${height - pad}" stroke="#555"/>
<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${height - pad}" stroke="#555"/>
<text x="${width / 2}" y="${height - 10}" font-size="11" text-anchor="middle">bytes (log scale): ${formatBytes(10 ** xMin)} … ${formatBytes(10 ** xMax)}</text>
<text x="12" y="${height / 2}" font-size="11" transform="rotate(-90 12 ${height / 2})" text-anchor="middle">test accuracy (%)</text>
<text x="${pad - 4}" y="${pad + 4}" font-size="9" text-anchor="end">${yMax.toFixed(1)}</text>
<text x="${pad - 4}" y="${height - pad}" font-size="9" text-anchor="end">${yMin.toFixed(1)}</text>
${points}</svg>
<ol class="legend">${report.stages.map((st) => `<li>${escapeHtml(st.name)}</li>`).join("")}</ol>`;
}

/** A self-contained page (inline CSS and SVG, no scripts, no external assets). */
export function renderReportHtml(report: DemoReport): string {
  const baseline = report.stages[0];
  const stageRows = report.stages
    .map((s) => {
      const delta = baseline ? (s.accuracy - baseline.accuracy) * 100 : 0;
      return `<tr><td>${escapeHtml(s.name)}</td><td class="n">${formatBytes(s.bytes)}</td><td class="n">${s.ratio.toFixed(1)}×</td><td class="n">${(s.accuracy * 100).toFixed(2)}%</td><td class="n">${delta >= 0 ? "+" : ""}${delta.toFixed(2)} pp</td><td>${escapeHtml(s.bytesFrom)}${s.note ? ` — ${escapeHtml(s.note)}` : ""}</td></tr>`;
    })
    .join("\n");
  const layerRows = report.layers
    .map(
      (l) =>
        `<tr><td>${escapeHtml(l.name)}</td><td>${l.shape.join("×")}</td><td class="n">${l.parameters}</td><td class="n">${(l.sparsity * 100).toFixed(1)}%</td><td class="n">${l.clusters}</td><td class="n">${l.bits}</td><td class="n">${l.indexBits}</td></tr>`,
    )
    .join("\n");
  const histograms = report.layers
    .map(
      (l) =>
        `<section><h3>${escapeHtml(l.name)}</h3><div class="hist">${svgHistogram(l.histograms.trained, "#64748b", "trained (nonzero weights)")}${svgHistogram(l.histograms.pruned, "#ea580c", "after pruning")}${svgHistogram(l.histograms.clustered, "#16a34a", "after clustering + fine-tuning")}</div></section>`,
    )
    .join("\n");
  const sectionRows = report.sizeBreakdown
    .map(
      (s) => `<tr><td>${escapeHtml(s.layer)}</td><td>${escapeHtml(s.section)}</td><td class="n">${s.bytes}</td></tr>`,
    )
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>mc demo — ${escapeHtml(report.model)}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1000px;color:#111;padding:0 1rem}
table{border-collapse:collapse;margin:1rem 0}td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}.hist{display:flex;gap:12px;flex-wrap:wrap}
figure{margin:0}.legend{font-size:12px;columns:2}figcaption{font-size:12px;color:#555;text-align:center}code{background:#f3f4f6;padding:1px 4px}
</style></head><body>
<h1>mc demo: Deep Compression of ${escapeHtml(report.model)}</h1>
<p>Data: ${report.dataset.train} training and ${report.dataset.test} test digits (${escapeHtml(report.dataset.source)}), split seed ${report.dataset.seed}.
The compressed artifact <code>${escapeHtml(report.artifact.path)}</code> is ${report.artifact.bytes} bytes on disk; its accuracy
(${(report.artifact.accuracy * 100).toFixed(2)}%) was measured after loading it back from disk. Run took ${report.seconds.toFixed(1)} s on ${escapeHtml(report.machine)}.</p>
<h2>Stages</h2>
<table><thead><tr><th>stage</th><th>bytes</th><th>ratio</th><th>test accuracy</th><th>Δ vs baseline</th><th>bytes counted from</th></tr></thead><tbody>
${stageRows}
</tbody></table>
<h2>Accuracy versus bytes</h2>
${svgAccuracyVsBytes(report)}
<h2>Layers</h2>
<table><thead><tr><th>layer</th><th>shape</th><th>weights</th><th>sparsity</th><th>clusters</th><th>weight bits</th><th>index bits</th></tr></thead><tbody>
${layerRows}
</tbody></table>
<h2>Weight distributions</h2>
${histograms}
<h2>Size breakdown of the .mcz file</h2>
<table><thead><tr><th>layer</th><th>section</th><th>bytes</th></tr></thead><tbody>
${sectionRows}
</tbody></table>
</body></html>
`;
}
