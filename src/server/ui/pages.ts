import { createTwoFilesPatch } from "diff";
import { escapeHtml } from "../../bench/index.ts";
import type { ReviewDocument } from "../../review/index.ts";
import type { BenchRunRecord, ReviewEvent, ReviewRecord, ReviewSummary, RunSummary } from "../../store/index.ts";
import { highlightHtml } from "./highlight.ts";

/** The whole page: the queue on the left, the selected review on the right; the client script does the rest. */
export function appPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>litmus · reviews</title><link rel="stylesheet" href="/static/app.css"></head>
<body>
<header><strong>litmus</strong> <nav><a href="/" aria-current="page">reviews</a> <a href="/runs">runs</a></nav>
  <label>reviewer <input id="reviewer" autocomplete="off" size="12"></label>
  <span class="keys">keys: <kbd>a</kbd> approve · <kbd>e</kbd> edit · <kbd>r</kbd> reject · <kbd>j</kbd>/<kbd>k</kbd> next/previous</span>
</header>
<main>
  <aside>
    <form id="new-review"><textarea name="task" rows="3" placeholder="A task for the model: write …" required></textarea>
    <button type="submit">Draft for review</button></form>
    <nav id="queue" aria-label="reviews"></nav>
  </aside>
  <section id="review"><p class="empty">Pick a review on the left.</p></section>
</main>
<script src="/static/app.js" type="module"></script>
</body></html>`;
}

/** The queue: pending reviews first (they wait for a person), then the rest, newest first. */
export function queueFragment(reviews: ReviewSummary[], selected: string | null): string {
  const order: Record<string, number> = { pending: 0, drafting: 1, approved: 2, running: 3, done: 4, cancelled: 5 };
  const sorted = [...reviews].sort((a, b) => (order[a.status] ?? 9) - (order[b.status] ?? 9));
  if (sorted.length === 0) return `<p class="empty">No reviews yet.</p>`;
  return `<ul>${sorted
    .map(
      (
        review,
      ) => `<li><a href="#${review.id}" data-id="${review.id}" class="${review.id === selected ? "selected" : ""}">
<span class="status ${review.status}">${review.status}</span>
<span class="title">${escapeHtml(firstLine(review.title))}</span>
<span class="meta">${escapeHtml(review.model)} · ${review.drafts} draft(s) · ${escapeHtml(review.updatedAt.slice(0, 19).replace("T", " "))}</span></a></li>`,
    )
    .join("")}</ul>`;
}

/** One review: the task, the latest draft (highlighted, or in an editor), the diff from the draft before, the actions, the output, the history. */
export function reviewFragment(review: ReviewRecord, events: ReviewEvent[]): string {
  const document = review.document as ReviewDocument;
  const { task } = document;
  const last = document.drafts.at(-1);
  const shown = document.approved?.code ?? last?.code ?? "";
  const before = document.drafts.at(-2);
  const diff =
    before && last && before.code !== last.code
      ? `<details class="diff"><summary>Changes since draft ${before.n}</summary><pre>${diffHtml(before.code ?? "", last.code ?? "")}</pre></details>`
      : "";
  const pending = review.status === "pending";
  const result = document.result;
  return `<article data-id="${review.id}" data-status="${review.status}" data-draft="${last?.n ?? 0}" data-language="${task.language}">
<h2><span class="status ${review.status}">${review.status}</span> ${escapeHtml(firstLine(task.prompt))}</h2>
<p class="task">${escapeHtml(task.prompt)}</p>
<p class="meta">review ${review.id} · ${escapeHtml(review.model)} · draft ${last?.n ?? 0}${document.approved ? ` · ${document.approved.edited ? "edited and approved" : "approved"} by ${escapeHtml(document.approved.by)}` : ""}</p>
${diff}
<pre class="code hljs" id="code">${highlightHtml(shown || "(the model wrote no code)", task.language)}</pre>
<textarea id="editor" class="editor" spellcheck="false" hidden>${escapeHtml(shown)}</textarea>
${
  pending
    ? `<div class="actions">
  <button id="approve" class="primary" title="a">Approve and run <kbd>a</kbd></button>
  <button id="edit" title="e">Edit <kbd>e</kbd></button>
  <input id="feedback" placeholder="What is wrong? (the model drafts again)" size="40">
  <button id="reject" title="r">Reject <kbd>r</kbd></button>
  <label><input type="checkbox" id="final"> for good</label>
</div>`
    : ""
}
<h3>Output</h3>
<pre id="output" class="output">${result ? escapeHtml(result.execution.stdout + result.execution.stderr) : ""}</pre>
${result ? `<p class="verdict ${result.diagnosis.kind === "ok" ? "ok" : "failed"}">${result.diagnosis.kind === "ok" ? "passed" : `${escapeHtml(result.diagnosis.kind)}: ${escapeHtml(result.diagnosis.message)}`}</p>` : ""}
${document.artifact ? `<p><a id="artifact" href="/api/reviews/${review.id}/artifact" download>Download the artifact</a> (${document.artifact.bytes} bytes)</p>` : ""}
<h3>History</h3>
<ol class="history">${events
    .map(
      (event) =>
        `<li><time>${escapeHtml(event.at.slice(0, 19).replace("T", " "))}</time> <b>${event.kind}</b> by ${escapeHtml(event.actor)}${event.reason ? `: ${escapeHtml(event.reason)}` : ""}</li>`,
    )
    .join("")}</ol>
</article>`;
}

function diffHtml(before: string, after: string): string {
  const patch = createTwoFilesPatch("before", "after", before, after, undefined, undefined, { context: 3 });
  return patch
    .split("\n")
    .slice(2)
    .map((line) => {
      const kind = line.startsWith("+") ? "add" : line.startsWith("-") ? "del" : line.startsWith("@@") ? "hunk" : "";
      return `<span class="${kind}">${escapeHtml(line)}</span>`;
    })
    .join("\n");
}

function firstLine(text: string): string {
  const line = text.trim().split("\n", 1)[0] ?? "";
  return line.length > 90 ? `${line.slice(0, 87)}…` : line;
}

/** Past runs: solve runs and benchmark runs from the run store, each benchmark with its report. */
export function runsPage(runs: RunSummary[], benchRuns: BenchRunRecord[]): string {
  const solveRows = runs
    .map(
      (run) =>
        `<tr><td>${escapeHtml(run.createdAt.slice(0, 19).replace("T", " "))}</td><td>${escapeHtml(run.kind)}</td><td>${escapeHtml(run.taskId)}</td><td>${escapeHtml(run.model)}</td><td class="${run.success ? "ok" : "failed"}">${run.success ? "passed" : "failed"}</td><td>${run.attempts}</td><td>${(run.durationMs / 1000).toFixed(1)} s</td></tr>`,
    )
    .join("");
  const benchRows = benchRuns
    .map((run) => {
      const passAtK = (run.summary as { passAtK?: Record<string, number> } | null)?.passAtK ?? {};
      const score = Object.entries(passAtK)
        .map(([k, value]) => `${escapeHtml(k)} ${(value * 100).toFixed(1)}%`)
        .join(", ");
      const report = run.status === "finished" ? `<a href="/bench/${run.id}/report">report</a>` : "unfinished";
      return `<tr><td>${escapeHtml(run.createdAt.slice(0, 19).replace("T", " "))}</td><td>${escapeHtml(run.dataset)}</td><td>${escapeHtml(run.model)}</td><td>${score}</td><td>${report}</td></tr>`;
    })
    .join("");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>litmus · runs</title><link rel="stylesheet" href="/static/app.css"></head>
<body><header><strong>litmus</strong> <nav><a href="/">reviews</a> <a href="/runs" aria-current="page">runs</a></nav></header>
<section class="runs">
<h2>Runs</h2>
${runs.length === 0 ? `<p class="empty">No runs yet: litmus solve records them.</p>` : `<table><thead><tr><th>when</th><th>kind</th><th>task</th><th>model</th><th>result</th><th>attempts</th><th>time</th></tr></thead><tbody>${solveRows}</tbody></table>`}
<h2>Benchmarks</h2>
${benchRuns.length === 0 ? `<p class="empty">No benchmark runs yet: litmus bench run records them.</p>` : `<table><thead><tr><th>when</th><th>dataset</th><th>model</th><th>pass@k</th><th></th></tr></thead><tbody>${benchRows}</tbody></table>`}
</section></body></html>`;
}
