// Draws the deployments on a Leaflet map. Everything else on the page works without
// JavaScript, so the map stays hidden (and a note says so) unless this runs.
(function () {
  "use strict";
  var box = document.getElementById("map");
  var data = document.getElementById("map-points");
  if (!box || !data || typeof L === "undefined") {
    return;
  }
  var points = JSON.parse(data.textContent);
  box.hidden = false;
  var note = document.getElementById("map-note");
  if (note) {
    note.hidden = true;
  }

  var map = L.map(box, { scrollWheelZoom: false });
  L.tileLayer(box.dataset.tileUrl, {
    maxZoom: 19,
    attribution: box.dataset.tileAttribution,
  }).addTo(map);

  var bounds = [];
  points.forEach(function (point) {
    var where = [point.lat, point.lng];
    // Popup built from text nodes: location names are data, never markup.
    var popup = document.createElement("div");
    var link = document.createElement("a");
    link.href = point.url;
    link.textContent = point.label;
    popup.appendChild(link);
    popup.appendChild(document.createElement("br"));
    popup.appendChild(document.createTextNode(point.date + " · " + point.status));
    L.marker(where, { title: point.label, alt: point.label + " (" + point.status + ")" })
      .bindPopup(popup)
      .addTo(map);
    L.circle(where, { radius: point.radius, weight: 1, interactive: false }).addTo(map);
    bounds.push(where);
  });

  if (bounds.length === 1) {
    map.setView(bounds[0], 16);
  } else if (bounds.length > 1) {
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 16 });
  } else {
    map.setView([54.0, -2.5], 6); // Great Britain, when there is nothing to show
  }
})();
