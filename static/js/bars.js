// Places timeline bars from their data attributes (kept out of inline styles for the CSP).
document.querySelectorAll(".bar[data-left]").forEach(function (bar) {
  bar.style.marginLeft = bar.dataset.left + "%";
  bar.style.width = bar.dataset.width + "%";
});
