// Fills a form's latitude and longitude from the phone, only when the officer asks and allows.
document.querySelectorAll("form[data-geolocate]").forEach(function (form) {
  const button = form.querySelector(".geolocate");
  const status = form.querySelector(".geo-status");
  if (!button) return;
  if (!navigator.geolocation) { button.hidden = true; return; }
  button.addEventListener("click", function () {
    status.textContent = "Finding your location…";
    navigator.geolocation.getCurrentPosition(function (position) {
      form.querySelector("input[name$='latitude']").value = position.coords.latitude.toFixed(6);
      form.querySelector("input[name$='longitude']").value = position.coords.longitude.toFixed(6);
      status.textContent = "Location filled in (±" + Math.round(position.coords.accuracy) + " m).";
    }, function (error) {
      status.textContent = "No location: " + error.message + ". Type it in instead.";
    }, { enableHighAccuracy: true, timeout: 10000 });
  });
});
