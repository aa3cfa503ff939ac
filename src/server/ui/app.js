// litmus review page: the queue, one review at a time, decisions, live output (Server-Sent Events).
const queue = document.querySelector("#queue");
const panel = document.querySelector("#review");
const reviewer = document.querySelector("#reviewer");
reviewer.value = localStorage.getItem("litmus-reviewer") || "reviewer";
reviewer.addEventListener("change", () => localStorage.setItem("litmus-reviewer", reviewer.value.trim() || "reviewer"));

let selected = location.hash.slice(1) || null;
let stream = null;

async function refreshQueue() {
  const response = await fetch(`/fragments/queue${selected ? `?selected=${selected}` : ""}`);
  if (response.ok) queue.innerHTML = await response.text();
}

async function showReview(id, keepOutput = false) {
  const output = keepOutput ? document.querySelector("#output")?.textContent : null;
  const response = await fetch(`/fragments/review/${id}`);
  panel.innerHTML = response.ok ? await response.text() : `<p class="empty">${await response.text()}</p>`;
  const fresh = document.querySelector("#output");
  if (output && fresh && !fresh.textContent) fresh.textContent = output;
  wireActions(id);
  if (selected !== id || !stream) watch(id);
  selected = id;
  await refreshQueue();
}

function watch(id) {
  stream?.close();
  stream = new EventSource(`/api/reviews/${id}/stream`);
  stream.addEventListener("output", (event) => {
    const { text } = JSON.parse(event.data);
    const output = document.querySelector("#output");
    if (output) output.textContent += text;
  });
  stream.addEventListener("status", () => showReview(id, true));
}

function editing() {
  const editor = document.querySelector("#editor");
  return editor && !editor.hidden;
}

function startEditing() {
  const editor = document.querySelector("#editor");
  if (!editor) return;
  editor.hidden = false;
  document.querySelector("#code").hidden = true;
  editor.focus();
}

async function post(path, body) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "content-type": "application/json" },
    // The draft on screen: a decision on a draft that has since been replaced is refused.
    body: JSON.stringify({
      by: reviewer.value.trim() || "reviewer",
      draft: Number(document.querySelector("article")?.dataset.draft),
      ...body,
    }),
  });
  if (!response.ok) alert(await response.text());
}

async function approve(id) {
  const editor = document.querySelector("#editor");
  document.querySelector("#output").textContent = "";
  await post(`/api/reviews/${id}/approve`, editing() ? { code: editor.value } : {});
}

async function reject(id) {
  const feedback = document.querySelector("#feedback");
  if (!feedback.value.trim()) {
    feedback.focus();
    return;
  }
  await post(`/api/reviews/${id}/reject`, {
    feedback: feedback.value,
    final: document.querySelector("#final").checked,
  });
}

function wireActions(id) {
  document.querySelector("#approve")?.addEventListener("click", () => approve(id));
  document.querySelector("#edit")?.addEventListener("click", startEditing);
  document.querySelector("#reject")?.addEventListener("click", () => reject(id));
  document.querySelector("#feedback")?.addEventListener("keydown", (event) => {
    if (event.key === "Enter") void reject(id);
  });
}

queue.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-id]");
  if (!link) return;
  event.preventDefault();
  location.hash = link.dataset.id;
  void showReview(link.dataset.id);
});

document.querySelector("#new-review").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const response = await fetch("/api/reviews", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ task: form.task.value }),
  });
  if (!response.ok) return alert(await response.text());
  form.reset();
  const { id } = await response.json();
  location.hash = id;
  void showReview(id);
});

document.addEventListener("keydown", (event) => {
  const typing = ["INPUT", "TEXTAREA"].includes(document.activeElement?.tagName);
  if (event.key === "Escape" && typing) return document.activeElement.blur();
  if (typing || event.metaKey || event.ctrlKey || event.altKey || !selected) return;
  const pending = document.querySelector("article")?.dataset.status === "pending";
  if (event.key === "a" && pending) void approve(selected);
  else if (event.key === "e" && pending) {
    event.preventDefault();
    startEditing();
  } else if (event.key === "r" && pending) {
    event.preventDefault();
    document.querySelector("#feedback")?.focus();
  } else if (event.key === "j" || event.key === "k") {
    const links = [...queue.querySelectorAll("a[data-id]")];
    const at = links.findIndex((link) => link.dataset.id === selected);
    const next = links[Math.max(0, Math.min(links.length - 1, at + (event.key === "j" ? 1 : -1)))];
    if (next) {
      location.hash = next.dataset.id;
      void showReview(next.dataset.id);
    }
  }
});

await refreshQueue();
if (selected) await showReview(selected);
setInterval(refreshQueue, 3000);
