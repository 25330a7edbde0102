// Keeps the operator's view current without reloading: camera states, counts and the
// alert queue are fetched every two seconds. An adjudication is shown back to the
// operator to confirm before it is sent; the server records it only with that confirmation.
(function () {
  "use strict";
  const live = document.getElementById("live");
  if (!live) return;
  const queue = document.getElementById("queue");
  const done = document.getElementById("adjudicated");
  const template = document.getElementById("alert-template");
  const cameras = document.getElementById("cameras");
  const news = document.getElementById("queue-news");

  function text(tag, value, cls) {
    const el = document.createElement(tag);
    if (cls) el.className = cls;
    el.textContent = value;
    return el;
  }

  function setText(id, value) {
    const el = document.getElementById(id);
    if (el && el.textContent !== String(value)) el.textContent = value;
  }

  // "4 min", "1 h 05 min": coarse enough not to distract, fine enough to act on.
  function span(ms) {
    const minutes = Math.max(0, Math.floor(ms / 60000));
    if (minutes < 60) return minutes + " min";
    const rest = minutes % 60;
    return Math.floor(minutes / 60) + " h " + (rest < 10 ? "0" : "") + rest + " min";
  }

  // The server's clock minus the browser's, from the page and then every poll: due times
  // and the window's end count down in the server's time, and clocks are shown as the
  // server wrote them (its time zone), whatever the device is set to.
  let skew = live.dataset.now ? new Date(live.dataset.now).getTime() - Date.now() : 0;

  // The threshold's place on each score bar; set here because the page's CSP allows no
  // inline style.
  function placeMarks(root) {
    root.querySelectorAll(".threshold-mark[data-at]").forEach(function (mark) {
      mark.style.left = Math.min(100, Math.max(0, Number(mark.dataset.at) * 100)) + "%";
    });
  }

  function tick() {
    const now = Date.now() + skew;
    document.querySelectorAll(".due-text[data-due]").forEach(function (el) {
      const due = new Date(el.dataset.due).getTime();
      const card = el.closest(".alert-card");
      if (due > now) {
        el.textContent = "Due by " + el.dataset.dueLabel + " (in " + span(due - now) + ")";
        if (card) card.classList.remove("overdue");
      } else {
        el.textContent = "Overdue by " + span(now - due) + " (was due " + el.dataset.dueLabel + ")";
        if (card) card.classList.add("overdue");
      }
    });
    const end = document.getElementById("window-end");
    if (end) {
      const ends = new Date(end.dataset.ends).getTime();
      setText("window-left", ends > now ? "(in " + span(ends - now) + ")" : "(ended)");
    }
  }

  // Each camera's health, built as templates/operator/_camera.html builds it; the server
  // formats every figure, so the page and the feed read the same.
  function meter(m) {
    const el = document.createElement("meter");
    ["min", "max", "low", "high", "optimum", "value"].forEach(function (name) { el.setAttribute(name, m[name]); });
    el.setAttribute("aria-label", m.label);
    el.title = m.label;
    return el;
  }

  function figure(label, key, value) {
    const row = document.createElement("div");
    const dd = text("dd", value);
    dd.dataset.figure = key;
    row.append(text("dt", label), dd);
    return row;
  }

  function renderCameras(list) {
    if (!list.length) {
      cameras.replaceChildren(text("li", "No cameras booked.", "empty"));
      return;
    }
    cameras.replaceChildren(...list.map(function (c) {
      const h = c.health;
      const item = document.createElement("li");
      item.className = "camera-health health-" + h.verdict + (h.stale ? " stale" : "");
      const head = document.createElement("p");
      head.className = "camera-head";
      head.append(text("strong", c.name), " ", text("span", c.state_label, "badge cam-" + c.state),
        " ", text("span", h.verdict_label, "badge verdict-" + h.verdict));
      item.append(head);
      if (c.detail) item.append(text("p", c.detail, "muted camera-detail"));
      if (h.reasons.length) item.append(text("p", h.reasons.join("; "), "warn camera-reasons"));
      if (h.stale) item.append(text("p", "Last figures, from " + h.at_label + ": its recognition job is not running now.", "muted camera-stale"));
      const figures = document.createElement("dl");
      figures.className = "health-figures";
      h.lines.forEach(function (line) {
        const row = figure(line.label, line.key, line.text);
        if (line.meter) row.lastChild.append(" ", meter(line.meter));
        figures.append(row);
      });
      figures.append(figure("Frames", "frames", h.frames_analysed + " analysed of " + h.frames_read + " read"),
        figure("People seen", "faces", c.faces));
      item.append(figures);
      return item;
    }));
  }

  function card(alert) {
    const node = template.content.firstElementChild.cloneNode(true);
    node.dataset.alert = alert.id;
    const crop = node.querySelector(".crop");
    const ref = node.querySelector(".ref");
    if (alert.crop_url) { crop.src = alert.crop_url; crop.alt = "Face captured by " + alert.camera; } else crop.remove();
    if (alert.reference_url) { ref.src = alert.reference_url; ref.alt = "Reference photograph of " + alert.name; } else ref.remove();
    node.querySelector(".captured").textContent = "Captured " + alert.captured_at;
    node.querySelector(".name").textContent = alert.name || "(entry destroyed)";
    node.querySelector(".reference").textContent = alert.reference;
    node.querySelector(".meta").textContent =
      alert.category + " · " + alert.camera + (alert.pending ? "" : " · not resolved yet");
    node.querySelector(".score-value").textContent = alert.score;
    node.querySelector(".threshold").textContent = alert.threshold;
    const meter = node.querySelector("meter");
    meter.value = Number(alert.score);
    meter.textContent = alert.score;
    meter.setAttribute("aria-label", "Score " + alert.score + " against threshold " + alert.threshold);
    node.querySelector(".threshold-mark").dataset.at = alert.threshold;
    const due = node.querySelector(".due-text");
    if (alert.pending) {
      due.dataset.due = alert.due_at;
      due.dataset.dueLabel = alert.due_label;
    } else {
      due.closest(".due").remove();
    }
    if (alert.overdue) node.classList.add("overdue");
    const send = node.querySelector("form.send-engagement");
    if (send) send.action = alert.send_url;
    const verify = node.querySelector("form.verify");
    if (verify) {
      if (alert.verified) verify.remove();
      else verify.action = alert.verify_url;
    }
    const form = node.querySelector("form.adjudicate");
    if (form) {
      form.action = alert.adjudicate_url;
      node.querySelectorAll("input[type=radio]").forEach(function (radio, i) {
        radio.id = "adj-" + alert.id + "-" + i;
        radio.parentElement.htmlFor = radio.id;
      });
    }
    return node;
  }

  function renderQueue(alerts) {
    const existing = new Map();
    queue.querySelectorAll("li[data-alert]").forEach(function (li) { existing.set(li.dataset.alert, li); });
    const wanted = new Set(alerts.map(function (a) { return a.id; }));
    existing.forEach(function (li, id) {
      // A card whose confirmation is open stays until the operator answers it.
      if (!wanted.has(id) && !li.querySelector(".confirm-step:not([hidden]), .send-step:not([hidden])")) li.remove();
    });
    let added = 0;
    alerts.forEach(function (alert) {
      if (!existing.has(alert.id)) {
        const node = card(alert);
        placeMarks(node);
        queue.append(node);
        added += 1;
      }
    });
    const empty = queue.querySelector(".empty");
    const count = queue.querySelectorAll("li[data-alert]").length;
    if (count && empty) empty.remove();
    if (!count && !empty) queue.append(text("li", "No alerts waiting.", "empty"));
    setText("queue-count", count);
    if (added) news.textContent = added + (added === 1 ? " new alert" : " new alerts") + " to adjudicate.";
    tick();
  }

  function renderDone(recent) {
    if (!recent.length) return;
    done.replaceChildren(...recent.map(function (a) {
      const li = text("li", a.reference + ": " + a.decision + " ");
      li.dataset.done = a.id;
      li.append(text("span", a.at, "muted"));
      return li;
    }));
  }

  // The alerts sent for engagement: who has each on the street and where it stands.
  function renderSent(rows) {
    const sent = document.getElementById("sent");
    if (!sent || !rows || !rows.length) return;
    sent.replaceChildren(...rows.map(function (r) {
      const li = text("li", r.reference + ": sent " + r.sent_at + " · ");
      li.dataset.sent = r.id;
      if (r.officer) li.append(r.officer + ", acknowledged " + r.acknowledged_at);
      else li.append(text("em", "not yet acknowledged"));
      li.append(" · ", text("span", r.stage, "stage"));
      return li;
    }));
  }

  function renderCounts(counts) {
    setText("count-pending", counts.pending);
    setText("count-unresolved", counts.unresolved);
    setText("count-adjudicated", counts.adjudicated);
    setText("faces-processed", counts.faces_processed);
  }

  async function poll() {
    try {
      const response = await fetch(live.dataset.feed, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) {
        const feed = await response.json();
        skew = new Date(feed.at).getTime() - Date.now();
        renderCameras(feed.cameras);
        renderQueue(feed.alerts);
        renderDone(feed.recent);
        renderSent(feed.sent);
        renderCounts(feed.counts);
        setText("deployment-status", feed.status);
        const warning = document.getElementById("storage-warning");
        warning.textContent = feed.storage_warning;
        warning.hidden = !feed.storage_warning;
      }
    } finally {
      setTimeout(poll, 2000);
    }
  }

  function bump(id, by) {
    const el = document.getElementById(id);
    if (el) setText(id, Math.max(0, Number(el.textContent) + by));
  }

  function labelOf(form, name, value) {
    const input = form.querySelector("input[name=" + name + "][value='" + value + "']");
    return input ? input.parentElement.textContent.trim() : value;
  }

  function closeConfirm(form) {
    form.querySelector(".confirm-step").hidden = true;
    form.querySelectorAll("fieldset").forEach(function (f) { f.disabled = false; });
    delete form.dataset.outcome;
  }

  // Step one: the outcome button opens the confirmation instead of sending.
  queue.addEventListener("submit", function (event) {
    const form = event.target.closest("form.adjudicate");
    if (!form) return;
    event.preventDefault();
    const submitter = event.submitter;
    const choice = form.querySelector("input[name=adjudication]:checked");
    if (!choice || !submitter) return;
    form.dataset.outcome = submitter.value;
    const words = labelOf(form, "adjudication", choice.value) + ", outcome: " + submitter.textContent.trim().toLowerCase();
    const step = form.querySelector(".confirm-step");
    step.querySelector(".confirm-text").textContent = "Record this decision? " + words + ".";
    form.querySelector(".error").hidden = true;
    // The choices are frozen while the question is open, so what is sent is what was shown.
    form.querySelectorAll("fieldset").forEach(function (f) { f.disabled = true; });
    step.hidden = false;
    step.querySelector(".confirm-yes").focus();
  });

  queue.addEventListener("click", async function (event) {
    const form = event.target.closest("form.adjudicate");
    if (!form) return;
    if (event.target.closest(".confirm-no")) {
      closeConfirm(form);
      form.querySelector("button[name=outcome]").focus();
      return;
    }
    const yes = event.target.closest(".confirm-yes");
    if (!yes || !form.dataset.outcome) return;
    yes.disabled = true;
    form.querySelectorAll("fieldset").forEach(function (f) { f.disabled = false; });
    const data = new FormData(form);
    data.set("outcome", form.dataset.outcome);
    data.set("confirm", data.get("adjudication") + "/" + form.dataset.outcome);
    const error = form.querySelector(".error");
    let response;
    try {
      response = await fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" },
      });
    } catch (e) {
      response = null;
    }
    yes.disabled = false;
    const body = response ? await response.json().catch(function () { return {}; }) : {};
    if (response && response.ok) {
      const li = form.closest("li");
      // The counts move at once; the next poll brings the server's own figures.
      const wasPending = Boolean(li.querySelector(".due-text"));
      bump(wasPending ? "count-pending" : "count-unresolved", -1);
      bump(body.resolved ? "count-adjudicated" : "count-unresolved", 1);
      if (body.resolved) {
        li.remove();
        const row = text("li", body.reference + ": " + body.decision + " ");
        row.append(text("span", "just now", "muted"));
        const none = done.querySelector(".empty");
        if (none) none.remove();
        done.prepend(row);
      } else {
        // Not resolved: it stays in the queue, no longer against the clock.
        closeConfirm(form);
        form.reset();
        const due = li.querySelector(".due");
        if (due) due.remove();
        li.classList.remove("overdue");
        if (!li.querySelector(".unresolved-note")) {
          li.querySelector(".alert-body p").append(text("em", " · not resolved yet", "unresolved-note"));
        }
      }
      const count = queue.querySelectorAll("li[data-alert]").length;
      setText("queue-count", count);
      if (!count && !queue.querySelector(".empty")) queue.append(text("li", "No alerts waiting.", "empty"));
      news.textContent = "Recorded: " + body.decision + ".";
      document.getElementById("queue-heading").focus();
    } else {
      closeConfirm(form);
      error.textContent = body.detail || "The adjudication was not recorded: check the connection and try again.";
      error.hidden = false;
    }
  });

  // "Possible match: send for engagement" asks for the same confirmation first.
  queue.addEventListener("submit", function (event) {
    const form = event.target.closest("form.send-engagement");
    if (!form) return;
    event.preventDefault();
    const step = form.querySelector(".send-step");
    step.querySelector(".confirm-text").textContent =
      "Send this alert to the engagement officers as a possible match?";
    form.querySelector(".error").hidden = true;
    form.querySelector("button.send").disabled = true;
    step.hidden = false;
    step.querySelector(".confirm-yes").focus();
  });

  queue.addEventListener("click", async function (event) {
    const form = event.target.closest("form.send-engagement");
    if (!form) return;
    const step = form.querySelector(".send-step");
    if (event.target.closest(".confirm-no")) {
      step.hidden = true;
      form.querySelector("button.send").disabled = false;
      form.querySelector("button.send").focus();
      return;
    }
    const yes = event.target.closest(".confirm-yes");
    if (!yes) return;
    yes.disabled = true;
    const data = new FormData(form);
    data.set("confirm", "send");
    let response = null;
    try {
      response = await fetch(form.action, {
        method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" },
      });
    } catch (e) {
      response = null;
    }
    yes.disabled = false;
    const body = response ? await response.json().catch(function () { return {}; }) : {};
    step.hidden = true;
    form.querySelector("button.send").disabled = false;
    if (response && response.ok) {
      const li = form.closest("li");
      bump(li.querySelector(".due-text") ? "count-pending" : "count-unresolved", -1);
      bump("count-adjudicated", 1);
      li.remove();
      const sent = document.getElementById("sent");
      const row = text("li", body.reference + ": sent just now · ");
      row.append(text("em", "not yet acknowledged"));
      const none = sent.querySelector(".empty");
      if (none) none.remove();
      sent.prepend(row);
      const count = queue.querySelectorAll("li[data-alert]").length;
      setText("queue-count", count);
      if (!count && !queue.querySelector(".empty")) queue.append(text("li", "No alerts waiting.", "empty"));
      news.textContent = "Sent for engagement: " + body.reference + ".";
      document.getElementById("queue-heading").focus();
    } else {
      const error = form.querySelector(".error");
      error.textContent = body.detail || "Not sent: check the connection and try again.";
      error.hidden = false;
    }
  });

  placeMarks(queue);
  tick();
  setInterval(tick, 15000);
  setTimeout(poll, 2000);
})();
