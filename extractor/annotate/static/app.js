// shopwright annotate: the browser side. The page's frame runs no script of its own (sandbox and
// CSP); this script reads its DOM (same origin) to map clicks and selections to stored text nodes.
"use strict";

const TOKEN = document.querySelector('meta[name="sw-token"]').content;
const $ = (selector) => document.querySelector(selector);
const frame = $("#frame");

const app = {
  state: null,       // /api/state
  index: null,       // the page shown
  page: null,        // /api/pages/i: nodes, images, annotation
  prelabels: {},     // attribute -> {value, confidence, spans, images}
  prelabelModel: "",
  picked: null,      // {spans: [{xpath, start, end, text}]} or {images: [{xpath, url}]}
  version: null,
  adaptPolling: false,
};

// -- server ------------------------------------------------------------------------------------

async function api(path, body) {
  const options = body === undefined ? {} : {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-Shopwright-Token": TOKEN},
    body: JSON.stringify(body),
  };
  const response = await fetch(path, options);
  const data = await response.json();
  if (!response.ok) throw new Error(data.error || response.statusText);
  return data;
}

function saved(text, error) {
  const el = $("#saved");
  el.textContent = text;
  el.classList.toggle("error", Boolean(error));
}

// -- helpers -----------------------------------------------------------------------------------

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function color(name) {
  let hash = 0;
  for (const c of name) hash = (hash * 31 + c.codePointAt(0)) >>> 0;
  return `hsl(${hash % 360}, 75%, 72%)`;
}

function show(value) {
  if (Array.isArray(value)) return value.join(" | ");
  if (value !== null && typeof value === "object") return JSON.stringify(value);
  return value === undefined || value === null ? "" : String(value);
}

function attribute(name) {
  return (app.state ? app.state.attributes : []).find((a) => a.name === name);
}

// -- store state -------------------------------------------------------------------------------

async function loadState() {
  const state = await api("/api/state");
  const changed = app.version !== null && state.version !== app.version;
  app.state = state;
  app.version = state.version;
  renderState();
  return changed;
}

function renderState() {
  const s = app.state;
  $("#progress").textContent =
    `${s.annotated} of ${s.target} pages annotated · ${s.pages.length} pages in the store`;
  $("#model").textContent = `pre-labels: ${s.model}`;
  const suggestions = $("#suggestions");
  suggestions.replaceChildren(...s.suggestions.map((item) => el("li",
    {"data-index": item.index, onclick: () => openPage(item.index)},
    short(item.url), el("span", {class: "reason", text: item.reason}))));
  const pages = $("#pages");
  pages.replaceChildren(...s.pages.map((p) => el("li", {
    "data-index": p.index,
    class: [p.marked.length ? "done" : "", p.index === app.index ? "current" : ""].join(" "),
    onclick: () => openPage(p.index),
    title: p.url,
  }, short(p.url), p.marked.length ? el("span", {class: "marked", text: p.marked.join(", ")}) : null)));
  renderAttributes();
  renderAdapt(s.adapt);
}

function short(url) {
  try {
    const parsed = new URL(url);
    return parsed.pathname + parsed.search || url;
  } catch (_) {
    return url;
  }
}

// -- one page ----------------------------------------------------------------------------------

async function openPage(index) {
  if (!app.state || index < 0 || index >= app.state.pages.length) return;
  app.index = index;
  history.replaceState(null, "", `#page=${index}`);
  app.picked = null;
  app.prelabels = {};
  app.page = null;  // nothing of the page left shows (or can be clicked) while the next loads
  hideMenu();
  renderPicked();
  renderAttributes();
  const page = await api(`/api/pages/${index}`);
  if (index !== app.index) return;
  app.page = page;
  $("#page-url").textContent = app.page.url;
  $("#page-url").title = app.page.url;
  const error = $("#page-error");
  error.hidden = !app.page.error;
  error.textContent = app.page.error ? `This page cannot be shown: ${app.page.error}` : "";
  frame.src = `/frame/${index}`;
  renderState();
  loadPrelabels(index);
}

async function loadPrelabels(index) {
  $("#prelabel-model").textContent = "(pre-labelling…)";
  try {
    const data = await api(`/api/pages/${index}/prelabels`);
    if (index !== app.index) return;
    app.prelabels = data.labels || {};
    app.prelabelModel = data.model || "";
    $("#prelabel-model").textContent = app.prelabelModel ? `(pre-labels: ${app.prelabelModel})` : "";
  } catch (error) {
    $("#prelabel-model").textContent = `(no pre-labels: ${error.message})`;
  }
  renderAttributes();
  renderMarks();
}

function frameDoc() {
  try {
    return frame.contentDocument;
  } catch (_) {
    return null;
  }
}

frame.addEventListener("load", () => {
  const doc = frameDoc();
  if (!doc || !doc.body) return;
  doc.addEventListener("mouseup", onFramePick);
  doc.addEventListener("click", (event) => event.preventDefault(), true);  // no navigation
  doc.addEventListener("keydown", onKey);
  renderMarks();
});

// -- marks in the frame ------------------------------------------------------------------------

function nodeIndex() {
  const byXpath = new Map();
  (app.page ? app.page.nodes : []).forEach((n, i) => byXpath.set(n.xpath, i));
  return byXpath;
}

function renderMarks() {
  const doc = frameDoc();
  if (!doc || !app.page) return;
  const byXpath = nodeIndex();
  const annotation = app.page.annotation || {spans: {}, images: {}};
  const marks = new Map();  // node index -> [{start, end, name, pre}]
  const imageMarks = new Map();  // image xpath -> {name, pre}
  const add = (name, spans, pre) => {
    for (const span of spans || []) {
      const i = byXpath.get(span.xpath);
      if (i === undefined) continue;
      if (!marks.has(i)) marks.set(i, []);
      marks.get(i).push({start: span.start, end: span.end, name, pre});
    }
  };
  for (const [name, spans] of Object.entries(annotation.spans || {})) add(name, spans, false);
  for (const [name, images] of Object.entries(annotation.images || {})) {
    for (const image of images) imageMarks.set(image.xpath, {name, pre: false});
  }
  for (const [name, label] of Object.entries(app.prelabels)) {
    const done = (annotation.spans || {})[name] || (annotation.images || {})[name];
    if (done) continue;
    add(name, label.spans, true);
    for (const image of label.images || []) {
      if (!imageMarks.has(image.xpath)) imageMarks.set(image.xpath, {name, pre: true});
    }
  }
  for (const span of doc.querySelectorAll("[data-sw-node]")) {
    const i = Number(span.dataset.swNode);
    const text = app.page.nodes[i] ? app.page.nodes[i].text : span.textContent;
    const own = (marks.get(i) || []).sort((a, b) => a.start - b.start || a.pre - b.pre);
    span.replaceChildren();
    let at = 0;
    for (const mark of own) {
      if (mark.start < at) continue;  // overlapping marks: the first one shows
      if (mark.start > at) span.append(doc.createTextNode(text.slice(at, mark.start)));
      const m = doc.createElement("mark");
      m.className = mark.pre ? "sw-mark sw-pre" : "sw-mark";
      m.dataset.swAttribute = mark.name;
      m.title = mark.pre ? `${mark.name} (pre-label)` : mark.name;
      m.style.setProperty("--sw-color", color(mark.name));
      m.textContent = text.slice(mark.start, mark.end);
      span.append(m);
      at = mark.end;
    }
    if (at < text.length) span.append(doc.createTextNode(text.slice(at)));
    span.classList.remove("sw-picked");
  }
  const xpathOf = (app.page.images || []);
  for (const img of doc.querySelectorAll("img[data-sw-image]")) {
    const image = xpathOf[Number(img.dataset.swImage)];
    const mark = image ? imageMarks.get(image.xpath) : null;
    img.classList.remove("sw-image-marked", "sw-image-pre", "sw-picked");
    if (mark) {
      img.classList.add(mark.pre ? "sw-image-pre" : "sw-image-marked");
      img.style.setProperty("--sw-color", color(mark.name));
      img.title = `${mark.name}: ${image.url}`;
    }
  }
}

// -- picking -----------------------------------------------------------------------------------

function offsetIn(span, container, offset) {
  const range = span.ownerDocument.createRange();
  range.selectNodeContents(span);
  if (range.comparePoint(container, offset) < 0) return 0;
  if (range.comparePoint(container, offset) > 0) return span.textContent.length;
  range.setEnd(container, offset);
  return range.toString().length;
}

function onFramePick(event) {
  const doc = frameDoc();
  if (!app.page) return;
  const selection = doc.getSelection();
  let picked = null;
  if (selection && !selection.isCollapsed && selection.rangeCount) {
    const range = selection.getRangeAt(0);
    const spans = [];
    for (const span of doc.querySelectorAll("[data-sw-node]")) {
      if (!range.intersectsNode(span)) continue;
      const node = app.page.nodes[Number(span.dataset.swNode)];
      const start = offsetIn(span, range.startContainer, range.startOffset);
      const end = offsetIn(span, range.endContainer, range.endOffset);
      if (node && end > start) spans.push({xpath: node.xpath, start, end, text: node.text.slice(start, end)});
    }
    if (spans.length) picked = {spans};
  }
  if (!picked) {
    const target = event.target;
    const img = target.closest && target.closest("img[data-sw-image]");
    const span = target.closest && target.closest("[data-sw-node]");
    if (img) {
      const image = app.page.images[Number(img.dataset.swImage)];
      if (image) picked = {images: [image]};
      img.classList.add("sw-picked");
    } else if (span) {
      const node = app.page.nodes[Number(span.dataset.swNode)];
      if (node) picked = {spans: [{xpath: node.xpath, start: 0, end: node.text.length, text: node.text}]};
      span.classList.add("sw-picked");
    }
  }
  for (const old of doc.querySelectorAll(".sw-picked")) {
    if (!picked || (old !== event.target.closest("[data-sw-node]") &&
        old !== event.target.closest("img[data-sw-image]"))) old.classList.remove("sw-picked");
  }
  app.picked = picked;
  renderPicked();
  if (picked) showMenu(event.clientX, event.clientY);
  else hideMenu();
}

function pickedText() {
  if (!app.picked) return "";
  if (app.picked.images) return `image ${app.picked.images[0].url}`;
  return app.picked.spans.map((s) => s.text).join(" ");
}

function renderPicked() {
  const box = $("#picked");
  if (!app.picked) {
    box.textContent = "Click a text or an image on the page, or select part of a text; then pick the attribute (menu or key).";
    return;
  }
  box.replaceChildren(el("strong", {text: "Picked: "}), pickedText(),
    el("div", {class: "type", text: "press an attribute's key, or choose it in the menu (Esc: cancel)"}));
}

function showMenu(x, y) {
  const menu = $("#menu");
  const rect = frame.getBoundingClientRect();
  menu.replaceChildren(...app.state.attributes.map((a) => el("button", {
    type: "button", "data-name": a.name, onclick: () => assign(a.name),
  }, el("span", {class: "key", text: a.key || " "}), el("span", {text: a.name}),
  el("span", {class: "type", text: a.type}))));
  menu.hidden = false;
  const left = Math.min(rect.left + x + 8, window.innerWidth - 220);
  const top = Math.min(rect.top + y + 8, window.innerHeight - menu.offsetHeight - 8);
  menu.style.setProperty("left", `${Math.max(0, left)}px`);
  menu.style.setProperty("top", `${Math.max(0, top)}px`);
}

function hideMenu() {
  $("#menu").hidden = true;
}

function onKey(event) {
  const target = event.target;
  if (target && ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName) && target.ownerDocument === document) return;
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "Escape") {
    app.picked = null;
    hideMenu();
    renderPicked();
    renderMarks();
    return;
  }
  if (!app.picked) {
    if (event.key === ".") openPage(app.index + 1);
    if (event.key === ",") openPage(app.index - 1);
    return;
  }
  const chosen = app.state.attributes.find((a) => a.key && a.key === event.key.toLowerCase());
  if (chosen) {
    event.preventDefault();
    assign(chosen.name);
  }
}
document.addEventListener("keydown", onKey);
document.addEventListener("click", (event) => {
  if (!event.target.closest("#menu")) hideMenu();
});

// -- edits -------------------------------------------------------------------------------------

async function edit(ops) {
  const index = app.index;
  if (!app.page) return;
  saved("saving…");
  try {
    const result = await api(`/api/pages/${index}/edit`, {ops});
    if (index === app.index && app.page) app.page.annotation = result.annotation;
    app.version = result.version;
    saved(`saved ${new Date().toLocaleTimeString()}`);
    await loadState();
  } catch (error) {
    saved(`not saved: ${error.message}`, true);
  }
  renderAttributes();
  renderMarks();
}

function assign(name) {
  const picked = app.picked;
  if (!picked) return;
  const kind = (attribute(name) || {}).type;
  const op = kind === "list" ? "add" : "set";
  const ops = picked.images
    ? [{op, attribute: name, images: picked.images.map((i) => ({xpath: i.xpath}))}]
    : [{op, attribute: name, spans: picked.spans.map(({xpath, start, end}) => ({xpath, start, end}))}];
  app.picked = null;
  hideMenu();
  renderPicked();
  return edit(ops);
}

function acceptOps(name, label) {
  const ops = [{op: "clear", attribute: name}];
  const spans = (label.spans || []).map(({xpath, start, end, item}) => ({xpath, start, end, item}));
  if ((attribute(name) || {}).type === "list" && spans.some((s) => s.item !== undefined)) {
    const items = new Map();
    for (const s of spans) {
      if (!items.has(s.item)) items.set(s.item, []);
      items.get(s.item).push({xpath: s.xpath, start: s.start, end: s.end});
    }
    for (const group of items.values()) ops.push({op: "add", attribute: name, spans: group});
  } else if (spans.length) {
    ops.push({op: "set", attribute: name, spans: spans.map(({xpath, start, end}) => ({xpath, start, end}))});
  }
  if ((label.images || []).length) {
    ops.push({op: "set", attribute: name, images: label.images.map((i) => ({xpath: i.xpath}))});
  }
  return ops;
}

// -- the attribute list ------------------------------------------------------------------------

function renderAttributes() {
  if (!app.state) return;
  const annotation = (app.page && app.page.annotation) || {};
  const spans = annotation.spans || {};
  const images = annotation.images || {};
  const values = annotation.values || {};
  const list = $("#attributes");
  list.replaceChildren(...app.state.attributes.map((a) => {
    const marked = (spans[a.name] || []).length || (images[a.name] || []).length;
    const swatch = el("span", {class: "swatch"});
    swatch.style.setProperty("background", color(a.name));
    const head = el("div", {class: "attr-head"},
      el("span", {class: "key", text: a.key || " "}), swatch,
      el("span", {class: "name", text: a.name}), el("span", {class: "type", text: a.type}),
      marked ? el("button", {type: "button", class: "clear", title: "clear this attribute on the page",
        onclick: () => edit([{op: "clear", attribute: a.name}])}, "clear") : null,
      app.picked ? el("button", {type: "button", class: "assign", onclick: () => assign(a.name)}, "assign") : null);
    const item = el("li", {"data-name": a.name}, head);
    if (marked) {
      const value = values[a.name];
      if (Array.isArray(value)) {
        const box = el("div", {class: "value"});
        value.forEach((v, k) => box.append(el("span", {class: "item"}, v, " ",
          el("button", {type: "button", class: "remove-item", title: "remove this item",
            onclick: () => edit([{op: "remove", attribute: a.name, item: k}])}, "×"))));
        item.append(box);
      } else {
        item.append(el("div", {class: "value", text: show(value)}));
      }
    }
    const label = app.prelabels[a.name];
    if (label) {
      const where = (label.spans || []).length || (label.images || []).length;
      const line = el("div", {class: "prelabel"},
        "model: ", el("span", {class: "pre-value", text: show(label.value)}), " ",
        el("span", {class: "confidence", text: `(${Number(label.confidence).toFixed(2)})`}), " ");
      if (where) {
        line.append(el("button", {type: "button", class: "accept", title: "mark what the model read",
          onclick: () => edit(acceptOps(a.name, label))}, marked ? "use this" : "accept"));
      } else {
        line.append(el("span", {text: "(not shown as text: mark it)"}));
      }
      line.append(" ", el("button", {type: "button", class: "dismiss", title: "hide this pre-label",
        onclick: () => { delete app.prelabels[a.name]; renderAttributes(); renderMarks(); }}, "✕"));
      item.append(line);
    }
    return item;
  }));
}

$("#add-attribute").addEventListener("submit", async (event) => {
  event.preventDefault();
  const name = $("#new-name").value.trim();
  const errorBox = $("#attribute-error");
  try {
    const result = await api("/api/attributes", {name, type: $("#new-type").value});
    app.state.attributes = result.attributes;
    $("#new-name").value = "";
    errorBox.hidden = true;
    renderAttributes();
  } catch (error) {
    errorBox.hidden = false;
    errorBox.textContent = error.message;
  }
});

// -- adapt -------------------------------------------------------------------------------------

$("#adapt").addEventListener("click", async () => {
  try {
    renderAdapt(await api("/api/adapt", {}));
    pollAdapt();
  } catch (error) {
    $("#adapt-status").textContent = error.message;
  }
});

async function pollAdapt() {
  if (app.adaptPolling) return;
  app.adaptPolling = true;
  try {
    for (;;) {
      const status = await api("/api/adapt");
      renderAdapt(status);
      if (status.state !== "running") {
        if (status.state === "done") {
          await loadState();
          loadPrelabels(app.index);
        }
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 700));
    }
  } finally {
    app.adaptPolling = false;
  }
}

function renderAdapt(status) {
  if (!status) return;
  const box = $("#adapt-status");
  box.className = status.state === "error" ? "error" : "";
  box.textContent = status.state === "idle" ? "" :
    status.state === "done" ? `adapted in ${status.report.seconds} s: ${status.report.model}` :
    `${status.state}: ${status.message}`;
  $("#adapt").disabled = status.state === "running";
  if (status.state === "running" && !app.adaptPolling) pollAdapt();
  const report = $("#adapt-report");
  if (status.state !== "done" || !status.report) {
    if (status.state !== "running") report.replaceChildren();
    return;
  }
  const r = status.report;
  const loo = Object.entries(r.leave_one_out || {});
  const looTable = el("table", {id: "loo"}, el("tr", {},
    el("th", {text: "attribute"}), el("th", {text: "found"}), el("th", {text: "missed"})));
  for (const [name, entry] of loo) {
    looTable.append(el("tr", {"data-name": name}, el("td", {text: name}),
      el("td", {class: "ok", text: entry.found}), el("td", {class: entry.missed ? "missed" : "", text: entry.missed})));
  }
  const preview = el("table", {id: "preview"}, el("tr", {},
    el("th", {text: "page"}), el("th", {text: "values (confidence)"})));
  for (const row of r.preview || []) {
    const values = el("td");
    for (const [name, v] of Object.entries(row.values)) {
      values.append(el("div", {}, el("strong", {text: `${name}: `}), show(v.value), " ",
        el("span", {class: "confidence", text: `(${Number(v.confidence).toFixed(2)})`})));
    }
    preview.append(el("tr", {}, el("td", {text: short(row.url), title: row.url}), values));
  }
  report.replaceChildren(
    el("h2", {text: `Leave-one-out over ${r.pages} annotated pages`}),
    loo.length ? looTable : el("p", {text: "annotate two pages or more for the leave-one-out check"}),
    el("h2", {text: "Catalog preview (pages nobody annotated)"}), preview);
}

// -- start, and keep up with other tabs ------------------------------------------------------------

$("#prev").addEventListener("click", () => openPage(app.index - 1));
$("#next").addEventListener("click", () => openPage(app.index + 1));

async function poll() {
  try {
    const index = app.index;
    if (await loadState() && index !== null && app.page) {
      const page = await api(`/api/pages/${index}`);
      if (index !== app.index || !app.page) return;
      app.page.annotation = page.annotation;
      renderAttributes();
      renderMarks();
      saved("updated from another tab");
    }
  } catch (error) {
    saved(`cannot reach the annotator: ${error.message}`, true);
  }
}

(async () => {
  await loadState();
  const first = app.state.suggestions.length ? app.state.suggestions[0].index : 0;
  const wanted = Number(new URLSearchParams(location.hash.slice(1)).get("page"));
  await openPage(Number.isInteger(wanted) && location.hash ? wanted : first);
  setInterval(poll, 3000);
})();
