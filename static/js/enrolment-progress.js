// While photographs are waiting to enrol, refresh the progress bar every two seconds.
(function () {
  "use strict";
  const box = document.getElementById("enrolment");
  if (!box) return;
  const bar = document.getElementById("enrol-bar");
  const text = document.getElementById("enrol-text");
  async function refresh() {
    const response = await fetch(box.dataset.url, { credentials: "same-origin" });
    if (!response.ok) return;
    const p = await response.json();
    bar.max = Math.max(p.total, 1);
    bar.value = p.done;
    text.textContent = p.done + " of " + p.total + " checked: " + p.enrolled + " enrolled, " +
      p.rejected + " rejected, " + p.pending + " waiting.";
    if (p.pending > 0) setTimeout(refresh, 2000);
    else if (Number(box.dataset.reloaded) !== 1 && p.total > 0 && box.dataset.wasPending === "1") {
      window.location.reload();
    }
  }
  box.dataset.wasPending = bar.value < bar.max ? "1" : "0";
  if (bar.value < bar.max) setTimeout(refresh, 2000);
})();
