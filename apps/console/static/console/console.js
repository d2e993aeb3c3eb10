/* gridapi console maps: grid boundaries as the base layer, open events aggregated by the server, patrol tracks.
   Every request goes to gridapi itself; a tile layer is drawn only when the deployment configures one. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  function json(id) { var node = document.getElementById(id); return node ? JSON.parse(node.textContent) : null; }
  var map = L.map(el, { preferCanvas: true, zoomControl: true });
  var tileUrl = json("tile-url");
  if (tileUrl) { L.tileLayer(tileUrl, { attribution: json("tile-attribution") || "", maxZoom: 19 }).addTo(map); }
  map.attributionControl.setPrefix(false);
  var COLOURS = { overdue: "#d62828", waiting: "#f77f00", handling: "#1d70b8", handled: "#2a9d8f" };
  function colour(p) {
    if (p.overdue > 0) { return COLOURS.overdue; }
    var most = "waiting";
    ["handling", "handled"].forEach(function (k) { if (p[k] > p[most]) { most = k; } });
    return COLOURS[most];
  }
  function grids(done) {
    if (!el.dataset.grids) { done(null); return; }
    fetch(el.dataset.grids, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
      var layer = L.geoJSON(data, { style: { color: "#16324f", weight: 1, fillOpacity: 0.04 },
        onEachFeature: function (f, l) { l.bindTooltip(f.properties.name); } }).addTo(map);
      el.dataset.gridCount = String(data.features.length);
      done(layer);
    });
  }
  if (el.dataset.lon) {  // the event page: one point
    var at = [parseFloat(el.dataset.lat), parseFloat(el.dataset.lon)];
    map.setView(at, 16);
    L.circleMarker(at, { radius: 9, color: "#d62828", weight: 3 }).addTo(map);
    return;
  }
  if (el.dataset.tracks) {  // the patrols of a day
    var tracks = L.geoJSON(json("tracks"), {
      style: function (f) { return { color: f.properties.flags.length ? "#d62828" : "#1d70b8", weight: 3 }; },
      onEachFeature: function (f, l) { l.bindTooltip(f.properties.worker + (f.properties.flags.length ? " ⚑ " + f.properties.flags.join(", ") : "")); }
    }).addTo(map);
    if (tracks.getLayers().length) { map.fitBounds(tracks.getBounds(), { padding: [20, 20] }); } else { map.setView([24.48, 118.03], 12); }
    return;
  }
  var cells = L.layerGroup().addTo(map);
  var counter = document.getElementById("count");
  var pending = null;
  function load() {
    var b = map.getBounds();
    var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(5); });
    var url = el.dataset.cells + "?zoom=" + map.getZoom() + "&bbox=" + bbox.join(",");
    if (pending) { pending.abort(); }
    pending = new AbortController();
    fetch(url, { credentials: "same-origin", signal: pending.signal }).then(function (r) { return r.json(); }).then(function (data) {
      cells.clearLayers();
      var total = 0;
      data.features.forEach(function (f) {
        var p = f.properties, c = f.geometry.coordinates;
        total += p.n;
        var marker = L.circleMarker([c[1], c[0]], { radius: Math.min(6 + Math.sqrt(p.n) * 2, 30), color: colour(p), weight: 2, fillOpacity: 0.55 });
        var text = p.n + " · " + p.overdue + "⚠ · " + p.waiting + " / " + p.handling + " / " + p.handled;
        if (p.id) { text = '<a href="' + el.dataset.event.replace("00000000-0000-0000-0000-000000000000", p.id) + '">' + text + "</a>"; }
        marker.bindPopup(text);
        if (p.n > 1) { marker.bindTooltip(String(p.n), { permanent: true, direction: "center", className: "cluster" }); }
        cells.addLayer(marker);
      });
      if (counter) { counter.textContent = total + " " + counter.dataset.template; counter.dataset.total = total; }
      el.dataset.loaded = "1";
    }).catch(function () {});
  }
  grids(function (layer) {
    if (layer && layer.getLayers().length) { map.fitBounds(layer.getBounds()); } else { map.setView([24.48, 118.03], 12); }
    map.on("moveend", load);
    load();
  });
})();
