import type { ReportChart } from "./charts.ts";

/** A self-contained report page: inline styles, no script, nothing fetched. */
export function renderPage(page: {
  title: string;
  heading: string;
  meta: string;
  body: string;
  footer: string;
}): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>${escapeHtml(page.heading)}</h1>
  <p class="meta">${page.meta}</p>
</header>
<main>
${page.body}
</main>
<footer>${page.footer}</footer>
</body>
</html>
`;
}

/** A section holding a chart (as SVG), its title and caption. */
export function chartSection(chart: ReportChart, svg: string): string {
  return `<section id="${chart.id}">
  <h2>${escapeHtml(chart.title)}</h2>
  <p class="caption">${escapeHtml(chart.caption)}</p>
  <figure>${svg}</figure>
</section>`;
}

/** An HTML table; cells are HTML (escape text with escapeHtml). */
export function table(head: string[], rows: string[][], className: string): string {
  return `<table class="${className}"><thead><tr>${head.map((cell) => `<th>${escapeHtml(cell)}</th>`).join("")}</tr></thead>
<tbody>${rows.map((row) => `<tr>${row.map((cell) => `<td>${cell}</td>`).join("")}</tr>`).join("\n")}</tbody></table>`;
}

/** White (none passed) to green (all passed). */
export function shade(share: number): string {
  const light = Math.round(96 - share * 38);
  return `hsl(130 45% ${light}%)`;
}

export function percent(value: number | undefined): string {
  return value === undefined ? "—" : `${(value * 100).toFixed(1)}%`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `
:root { color-scheme: light; --ink: #1d2430; --muted: #5b6576; --line: #e3e6eb; --accent: #4c78a8; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #f6f7f9; }
header, main, footer { max-width: 1180px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 28px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 18px; margin: 0 0 6px; }
.meta, .caption, .source, footer { color: var(--muted); }
.caption { margin: 0 0 12px; font-size: 13.5px; max-width: 820px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 18px 20px; margin: 18px 0; overflow-x: auto; }
figure { margin: 0; }
figure svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 13.5px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
th { font-weight: 600; background: #fafbfc; position: sticky; top: 0; }
table.summary td:nth-child(n+4) { text-align: right; font-variant-numeric: tabular-nums; }
.run { font-weight: 600; }
.source { font-size: 12px; word-break: break-all; }
.cell { display: inline-block; min-width: 44px; padding: 1px 6px; border-radius: 4px; text-align: center; font-variant-numeric: tabular-nums; }
details summary { cursor: pointer; margin-bottom: 10px; color: var(--muted); }
footer { font-size: 12.5px; padding-bottom: 32px; }
`;
