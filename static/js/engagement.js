// The engagement officer's phone: new alerts sent for engagement arrive without a reload
// (the feed is polled every few seconds), and each card's forms are sent in the background
// so the list stays put. The server renders every card; this script only places them.
// Nothing is stored on the device: no service worker, no local storage, and the feed and
// images are all answered with Cache-Control: no-store.
(function () {
  "use strict";
  const print = document.getElementById("print-explanation");
  if (print) print.addEventListener("click", function () { window.print(); });
  const root = document.getElementById("engagements");
  if (!root) return;
  const list = document.getElementById("engagement-list");
  const news = document.getElementById("engagement-news");
  const every = Number(root.dataset.pollMs) || 3000;

  function fromHtml(html) {
    const holder = document.createElement("template");
    holder.innerHTML = html.trim();
    return holder.content.firstElementChild;
  }

  // Only the parts of a form that apply to the chosen answer are shown; without this
  // script everything shows and the server still says what is missing.
  function shown(el, on) {
    if (!el) return;
    el.hidden = !on;
    el.querySelectorAll("input, select, textarea").forEach(function (input) { input.disabled = !on; });
  }

  function checked(form, suffix) {
    const input = form.querySelector("input[type=radio][name$='" + suffix + "']:checked");
    return input ? input.value : "";
  }

  function sync(card) {
    const result = card.querySelector("form.result-form");
    if (result) {
      const r = checked(result, "-result");
      shown(result.querySelector(".when-engaged"), r === "confirmed_person" || r === "not_the_person");
      shown(result.querySelector(".when-misidentified"), r === "not_the_person");
      shown(result.querySelector(".when-not-engaged"), r === "not_engaged");
    }
    const outcome = card.querySelector("form.outcome-form");
    if (outcome) {
      const arrest = checked(outcome, "-outcome") === "arrest";
      shown(outcome.querySelector(".when-arrest"), arrest);
      if (arrest) {
        const hold = checked(outcome, "-hold");
        shown(outcome.querySelector(".when-hold"), hold === "hold");
        shown(outcome.querySelector(".when-no-hold"), hold === "no_hold");
      }
    }
  }

  function drawMap(card) {
    const box = card.querySelector(".engagement-map");
    if (!box || !window.L || box.dataset.drawn) return;
    box.hidden = false;
    box.dataset.drawn = "1";
    const where = [Number(box.dataset.lat), Number(box.dataset.lng)];
    const map = L.map(box, { scrollWheelZoom: false, dragging: false }).setView(where, 17);
    L.tileLayer(root.dataset.tiles, { maxZoom: 19, attribution: root.dataset.attribution }).addTo(map);
    L.marker(where, { title: box.getAttribute("aria-label"), keyboard: false }).addTo(map);
  }

  function prepare(card) {
    sync(card);
    drawMap(card);
    return card;
  }

  function cards() {
    const found = new Map();
    list.querySelectorAll("li[data-engagement]").forEach(function (li) { found.set(li.dataset.engagement, li); });
    return found;
  }

  function busy(card) {
    // A card the officer is filling in stays as it is until they send it.
    return card.contains(document.activeElement) || card.dataset.sending === "1";
  }

  function render(engagements) {
    const existing = cards();
    const wanted = new Set(engagements.map(function (e) { return e.id; }));
    // A finished card (no images on it) stays until the page is left, so the officer can
    // still open the explanation for a person who was not the one sought.
    existing.forEach(function (li, id) {
      if (!wanted.has(id) && !busy(li) && li.dataset.stage !== "done") li.remove();
    });
    let added = 0;
    let before = list.firstElementChild;
    engagements.forEach(function (e) {
      const old = existing.get(e.id);
      if (old && (old.dataset.stage === e.stage || busy(old))) {
        before = old.nextElementSibling;
        return;
      }
      const card = prepare(fromHtml(e.html));
      if (old) {
        old.replaceWith(card);
      } else {
        list.insertBefore(card, before);
        added += 1;
      }
      before = card.nextElementSibling;
    });
    const empty = list.querySelector(".empty");
    const count = list.querySelectorAll("li[data-engagement]").length;
    if (count && empty) empty.remove();
    if (!count && !empty) {
      const li = document.createElement("li");
      li.className = "empty";
      li.textContent = "Nothing sent for engagement.";
      list.append(li);
    }
    if (added) news.textContent = added + (added === 1 ? " new alert" : " new alerts") + " sent for engagement.";
  }

  async function poll() {
    try {
      const response = await fetch(root.dataset.feed, {
        credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" },
      });
      if (response.ok) render((await response.json()).engagements);
    } catch (e) {
      // Offline for a moment: the next poll tries again.
    } finally {
      setTimeout(poll, every);
    }
  }

  list.addEventListener("change", function (event) {
    const card = event.target.closest("li[data-engagement]");
    if (card) sync(card);
  });

  list.addEventListener("submit", async function (event) {
    const form = event.target.closest("form.engagement-action");
    if (!form) return;
    event.preventDefault();
    const card = form.closest("li[data-engagement]");
    card.dataset.sending = "1";
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    let response = null;
    let body = {};
    try {
      response = await fetch(form.action, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        cache: "no-store", headers: { Accept: "application/json" },
      });
      body = await response.json();
    } catch (e) {
      body = {};
    }
    delete card.dataset.sending;
    if (body.html) {
      const fresh = prepare(fromHtml(body.html));
      card.replaceWith(fresh);
      const error = fresh.querySelector(".card-error");
      if (!body.ok && error) {
        error.textContent = body.detail || "Not recorded: check the answers marked.";
        error.hidden = false;
      }
      const heading = fresh.querySelector("h2");
      if (heading) {
        heading.tabIndex = -1;
        heading.focus();
      }
      news.textContent = body.ok ? "Recorded." : "Not recorded: " + (body.detail || "check the card.");
    } else {
      if (button) button.disabled = false;
      const error = form.querySelector(".card-error");
      if (error) {
        error.textContent = "Not recorded: check the connection and try again.";
        error.hidden = false;
      }
    }
  });

  list.querySelectorAll("li[data-engagement]").forEach(prepare);
  setTimeout(poll, every);
})();
