// A Leaflet map beside the coordinate fields: click to place, drag to move; showing the
// radius. Without JavaScript the fields still work on their own.
(function () {
  "use strict";
  const box = document.getElementById("map");
  if (!box || !window.L) return;
  const lat = document.getElementById("id_latitude");
  const lon = document.getElementById("id_longitude");
  const radius = document.getElementById("id_radius_m");
  const pick = box.dataset.pick === "1";
  const start = [parseFloat(box.dataset.lat || (lat && lat.value)) || 51.5072,
                 parseFloat(box.dataset.lon || (lon && lon.value)) || -0.1276];
  const map = L.map(box).setView(start, 15);
  L.tileLayer(box.dataset.tiles, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
  let marker = null;
  let circle = null;

  function place(latlng) {
    const r = parseFloat((radius && radius.value) || box.dataset.radius) || 100;
    if (!marker) {
      marker = L.marker(latlng, { draggable: pick, keyboard: true, title: "Deployment location" }).addTo(map);
      circle = L.circle(latlng, { radius: r }).addTo(map);
      marker.on("dragend", function () { place(marker.getLatLng()); });
    }
    marker.setLatLng(latlng);
    circle.setLatLng(latlng).setRadius(r);
    if (pick && lat && lon) {
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
    }
  }

  if ((lat && lat.value) || box.dataset.lat) place(L.latLng(start));
  if (pick) {
    map.on("click", function (event) { place(event.latlng); });
    [lat, lon, radius].forEach(function (input) {
      if (input) input.addEventListener("change", function () {
        if (lat.value && lon.value) place(L.latLng(parseFloat(lat.value), parseFloat(lon.value)));
      });
    });
  }
})();
