// Streams an audit export and shows how many rows have arrived, then saves the file.
// Without JavaScript the links download the export directly.
(function () {
  "use strict";
  const status = document.getElementById("export-status");
  const bar = document.getElementById("export-progress");
  const count = document.getElementById("export-count");
  if (!status || !window.ReadableStream) return;

  document.querySelectorAll("a[data-export]").forEach(function (link) {
    link.addEventListener("click", async function (event) {
      event.preventDefault();
      const total = Number(link.dataset.total) || 0;
      status.hidden = false;
      bar.value = 0;
      count.textContent = "starting…";
      const response = await fetch(link.href, { credentials: "same-origin" });
      if (!response.ok) {
        count.textContent = "The export failed (" + response.status + ").";
        return;
      }
      const reader = response.body.getReader();
      const parts = [];
      let lines = 0;
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        parts.push(chunk.value);
        for (const byte of chunk.value) if (byte === 10) lines += 1;
        // Rows come one a line, followed by the chain (one a line per row in range).
        const shown = Math.min(lines, total);
        bar.value = total ? Math.min(99, (100 * shown) / total) : 50;
        count.textContent = shown.toLocaleString() + " of " + total.toLocaleString() + " rows";
      }
      bar.value = 100;
      count.textContent = total.toLocaleString() + " rows: done.";
      const name = (response.headers.get("Content-Disposition") || "").match(/filename="([^"]+)"/);
      const blob = new Blob(parts, { type: response.headers.get("Content-Type") || "" });
      const save = document.createElement("a");
      save.href = URL.createObjectURL(blob);
      save.download = name ? name[1] : "lfr-audit-export";
      document.body.appendChild(save);
      save.click();
      save.remove();
    });
  });
})();
