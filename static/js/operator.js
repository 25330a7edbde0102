// Keeps the operator's view current without reloading: camera states and the alert queue
// are fetched every two seconds; adjudications are sent without leaving the page.
(function () {
  "use strict";
  const live = document.getElementById("live");
  if (!live) return;
  const queue = document.getElementById("queue");
  const template = document.getElementById("alert-template");
  const cameras = document.getElementById("cameras");

  function text(tag, value, cls) {
    const el = document.createElement(tag);
    if (cls) el.className = cls;
    el.textContent = value;
    return el;
  }

  function renderCameras(list) {
    cameras.replaceChildren(...list.map(function (c) {
      const row = document.createElement("tr");
      const state = document.createElement("td");
      state.append(text("span", c.state_label, "badge cam-" + c.state));
      if (c.detail) state.append(" " + c.detail);
      row.append(text("td", c.name), state, text("td", c.frames), text("td", c.faces));
      return row;
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
      alert.category + " · score " + alert.score + " · " + alert.camera + " · " + alert.adjudication;
    const form = node.querySelector("form");
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
    existing.forEach(function (li, id) { if (!wanted.has(id)) li.remove(); });
    alerts.forEach(function (alert) {
      if (!existing.has(alert.id)) queue.append(card(alert));
    });
    const empty = queue.querySelector(".empty");
    if (alerts.length && empty) empty.remove();
    if (!alerts.length && !empty) queue.append(text("li", "No alerts waiting.", "empty"));
    document.getElementById("queue-count").textContent = alerts.length;
  }

  async function poll() {
    try {
      const response = await fetch(live.dataset.feed, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) {
        const feed = await response.json();
        renderCameras(feed.cameras);
        renderQueue(feed.alerts);
        document.getElementById("deployment-status").textContent = feed.status;
        document.getElementById("faces-processed").textContent = feed.faces_processed;
        const warning = document.getElementById("storage-warning");
        warning.textContent = feed.storage_warning;
        warning.hidden = !feed.storage_warning;
      }
    } finally {
      setTimeout(poll, 2000);
    }
  }

  queue.addEventListener("submit", async function (event) {
    const form = event.target.closest("form.adjudicate");
    if (!form) return;
    event.preventDefault();
    const data = new FormData(form);
    if (event.submitter && event.submitter.name) data.set(event.submitter.name, event.submitter.value);
    const response = await fetch(form.action, {
      method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" },
    });
    const error = form.querySelector(".error");
    if (response.ok) {
      form.closest("li").remove();
    } else if (error) {
      const body = await response.json().catch(function () { return {}; });
      error.textContent = body.detail || "The adjudication was not recorded.";
      error.hidden = false;
    }
  });

  setTimeout(poll, 2000);
})();
