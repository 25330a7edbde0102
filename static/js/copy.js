// Copy buttons: any <button data-copy="text"> puts its text on the clipboard and says so.
(function () {
  "use strict";
  var status = document.getElementById("copy-status");

  function announce(button, words) {
    var original = button.textContent;
    button.textContent = words;
    if (status) status.textContent = words;
    window.setTimeout(function () { button.textContent = original; }, 2000);
  }

  function fallbackCopy(text) {
    // Older browsers and pages not served over HTTPS have no async clipboard.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "absolute";
    area.style.left = "-9999px";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy]");
    if (!button) return;
    var text = button.getAttribute("data-copy");
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(
        function () { announce(button, "Copied"); },
        function () { announce(button, fallbackCopy(text) ? "Copied" : "Copy failed"); }
      );
    } else {
      announce(button, fallbackCopy(text) ? "Copied" : "Copy failed");
    }
  });
})();
