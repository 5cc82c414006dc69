// The article view's interaction (api/templates/article.html). The page is complete without
// it; this adds: selecting an event, quote or actor (click, or Enter/Space on its button; the
// selection is the URL hash, so it can be linked) highlights its parts in the text; the
// filters apply in place; the review forms post JSON to the review API.
"use strict";

(() => {
  const body = document.body;
  const articleId = body.dataset.article;
  const text = document.querySelector(".text");
  const status = document.getElementById("selection");
  const SEL = ["sel", "sel-evidence", "sel-quote", "sel-source", "sel-target", "sel-place",
    "sel-speaker", "sel-cue", "sel-actor"];

  const ids = (value) => (value || "").split(" ").filter(Boolean);
  const marks = (attr, id) => text ? [...text.querySelectorAll(`[data-${attr}~="${id}"]`)] : [];

  function mark(elements, cls) {
    for (const el of elements) el.classList.add("sel", cls);
    return elements.length;
  }

  function clear() {
    if (text) for (const el of text.querySelectorAll(".sel")) el.classList.remove(...SEL);
    for (const item of document.querySelectorAll(".item.selected")) item.classList.remove("selected");
    for (const pick of document.querySelectorAll('.pick[aria-pressed="true"]')) {
      pick.setAttribute("aria-pressed", "false");
    }
    body.classList.remove("dim");
    if (status) status.textContent = "";
  }

  // what each kind of item lights up in the text; the words for the status line
  const highlight = {
    event(item, id) {
      const evidence = mark(marks("ev", id), "sel-evidence");
      let sources = 0, targets = 0;
      for (const a of ids(item.dataset.sources)) sources += mark(marks("a", a), "sel-source");
      for (const a of ids(item.dataset.targets)) targets += mark(marks("a", a), "sel-target");
      const place = mark(marks("pl", id), "sel-place");
      return `event: evidence ${evidence ? "marked" : "not in the text"}, ` +
        `${sources} source mention(s), ${targets} target mention(s), place ${place ? "marked" : "not named"}`;
    },
    quote(item, id) {
      const quote = mark(marks("q", id), "sel-quote");
      let speaker = mark(marks("sp", id), "sel-speaker");
      const actor = item.dataset.speaker;
      if (actor) speaker += mark(marks("a", actor), "sel-speaker");
      const cue = mark(marks("cue", id), "sel-cue");
      return `quote: ${quote ? "marked" : "not in the text"}, ${speaker} speaker mention(s), ` +
        `cue ${cue ? "marked" : "not found"}`;
    },
    actor(item, id) {
      return `actor: ${mark(marks("a", id), "sel-actor")} mention(s)`;
    },
  };

  function select(key, { scroll = true } = {}) {
    clear();
    const item = key && document.getElementById(key);
    if (!item || !item.classList.contains("item")) return;
    const kind = item.dataset.item;
    const said = highlight[kind](item, item.dataset.id);
    item.classList.add("selected");
    const pick = item.querySelector(".pick");
    if (pick) pick.setAttribute("aria-pressed", "true");
    body.classList.add("dim");
    if (status) status.textContent = `Selected ${pick ? pick.textContent.trim() : key} — ${said}.`;
    const first = text && text.querySelector(".sel");
    if (scroll && first) first.scrollIntoView({ block: "nearest", behavior: "smooth" });
  }

  function fromHash(scroll) {
    select(decodeURIComponent(location.hash.slice(1)), { scroll });
  }

  document.addEventListener("click", (event) => {
    const pick = event.target.closest(".pick");
    if (!pick) return;
    const key = pick.dataset.select;
    const again = pick.getAttribute("aria-pressed") === "true";
    history.replaceState(null, "", again ? location.pathname + location.search : `#${key}`);
    if (again) clear(); else select(key);
  });
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && location.hash) {
      history.replaceState(null, "", location.pathname + location.search);
      clear();
    }
  });
  window.addEventListener("hashchange", () => fromHash(true));

  // ---- filters: applied in place, kept in the URL's query ---------------------------------
  const filters = document.querySelector("form.filters");
  function applyFilters() {
    const want = Object.fromEntries(["type", "status", "kind"].map((n) => [n, filters.elements[n].value]));
    for (const item of document.querySelectorAll('.item[data-item="event"], .item[data-item="quote"]')) {
      const d = item.dataset;
      const out = (want.type && d.type && d.type !== want.type) ||
        (want.status && d.status && d.status !== want.status) ||
        (want.kind && d.kind && d.kind !== want.kind);
      item.hidden = Boolean(out);
    }
    const query = new URLSearchParams(new FormData(filters));
    for (const [name, value] of [...query]) if (!value) query.delete(name);
    const search = query.toString();
    history.replaceState(null, "", location.pathname + (search ? `?${search}` : "") + location.hash);
  }
  if (filters) {
    filters.addEventListener("change", (event) => {
      if (event.target.name === "version") filters.submit(); // another version: another page
      else applyFilters();
    });
  }

  // ---- review forms: only what changed, as JSON to POST /v1/articles/{id}/reviews --------
  const modesByType = JSON.parse(body.dataset.modesByType || "{}");

  function restrictModes(form) {
    const type = form.elements.event_type, mode = form.elements.mode;
    if (!type || !mode) return;
    const allowed = modesByType[type.value] || [];
    for (const option of mode.options) option.disabled = Boolean(option.value) && !allowed.includes(option.value);
    if (mode.selectedOptions[0] && mode.selectedOptions[0].disabled) mode.value = "";
  }

  // a select's value as the server rendered it: its `selected` option, else the first
  const rendered = (select) => {
    const option = [...select.options].find((o) => o.defaultSelected) || select.options[0];
    return option ? option.value : "";
  };
  const changed = (el) => el.type === "checkbox" ? el.checked !== el.defaultChecked
    : el.tagName === "SELECT" ? el.value !== rendered(el) : el.value !== el.defaultValue;

  function eventFields(form, isNew) {
    const change = {}, clear = [];
    for (const name of ["event_type", "mode", "status", "date", "fatalities", "place"]) {
      const el = form.elements[name];
      if (!el || !(isNew ? el.value.trim() : changed(el))) continue;
      const value = el.value.trim(), field = name === "place" ? "location" : name;
      if (!value) clear.push(field);
      else if (name === "place") change.location = { place: value };
      else if (name === "fatalities") change.fatalities = Number(value);
      else change[name] = value;
    }
    if (change.date) change.date_precision = "day";
    for (const role of ["sources", "targets"]) {
      const boxes = [...form.querySelectorAll(`input[type=checkbox][name=${role}]`)];
      const chosen = boxes.filter((b) => b.checked).map((b) => b.value);
      if (isNew ? chosen.length : boxes.some(changed)) change[role] = chosen;
    }
    if (clear.length && !isNew) change.clear = clear;
    return change;
  }

  function changeOf(form) {
    const op = form.dataset.op, el = form.elements, num = (name) => Number(el[name].value);
    const value = (name) => el[name].value.trim();
    switch (op) {
      case "update_event": {
        const fields = eventFields(form, false);
        return Object.keys(fields).length ? { op, event_id: num("event_id"), ...fields } : null;
      }
      case "add_event":
        return { op, evidence: value("evidence"), ...eventFields(form, true) };
      case "update_quote": {
        const change = { op, quote_id: num("quote_id") };
        if (changed(el.speaker)) Object.assign(change, value("speaker") ? { speaker: value("speaker") } : { clear_speaker: true });
        if (changed(el.kind)) change.kind = value("kind");
        return Object.keys(change).length > 2 ? change : null;
      }
      case "update_actor": {
        const change = { op, actor_id: num("actor_id") };
        if (changed(el.name) && value("name")) change.name = value("name");
        if (changed(el.kind)) change.kind = value("kind");
        return Object.keys(change).length > 2 ? change : null;
      }
      case "merge_actors":
        return value("into") ? { op, into: num("into"), actor_ids: [num("actor_id")] } : null;
      case "delete_event": return { op, event_id: num("event_id") };
      case "delete_quote": return { op, quote_id: num("quote_id") };
      case "delete_actor": return { op, actor_id: num("actor_id") };
      default: return null;
    }
  }

  function problem(answer) {
    const detail = answer && answer.detail;
    if (Array.isArray(detail)) return detail.map((d) => d.msg || JSON.stringify(d)).join("; ");
    return typeof detail === "string" ? detail : "the server did not say why";
  }

  async function submitReview(event) {
    const form = event.target.closest("form.review-form");
    if (!form) return;
    event.preventDefault();
    const error = form.querySelector(".form-error");
    const say = (message) => { error.textContent = message; error.hidden = !message; };
    const change = changeOf(form);
    if (!change) { say("Nothing changed: edit a field first."); return; }
    const note = form.elements.note.value.trim();
    const review = { changes: [change], note: note || null, base_job_id: Number(form.elements.base_job_id.value) };
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    say("");
    try {
      const response = await fetch(`/v1/articles/${articleId}/reviews`, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(review),
      });
      const answer = await response.json().catch(() => null);
      if (response.status === 201) {
        location.assign(`/articles/${articleId}/view?saved=${answer.review.id}`);
        return;
      }
      say(`Not stored (${response.status}): ${problem(answer)}`);
    } catch (failure) {
      say(`Not stored: ${failure}`);
    }
    button.disabled = false;
  }

  for (const form of document.querySelectorAll("form.review-form")) {
    restrictModes(form);
    form.addEventListener("change", (event) => { if (event.target.name === "event_type") restrictModes(form); });
  }
  document.addEventListener("submit", submitReview);
  if (location.hash) fromHash(true);
})();
