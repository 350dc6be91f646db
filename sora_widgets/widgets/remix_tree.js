// RemixTree: the remix tree of one original as SVG. Nodes are thumbnails; edges carry "@author: edit".
// Clicking a node sets the synced `selected` trait; the Python side does the rest.
const SVG = "http://www.w3.org/2000/svg";
const THUMB = 64;

function svg(tag, attrs, parent) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}

function short(text, n) {
  return text.length > n ? text.slice(0, n - 1) + "…" : text;
}

// Pan and zoom (issue 14 item 2): the tree is drawn once in its own coordinates (width_px x height_px) and
// looked at through a viewBox: drag to pan, wheel or pinch to zoom (around the pointer), buttons for
// +, - and "fit". The selected clip is brought into view whenever it changes (a click in the tree, in the
// 3D forest, or "Remix this"). A drag never counts as a click on a node.
const MIN_ZOOM = 0.05;
const MAX_ZOOM = 4;
const VIEW_HEIGHT_PX = 520;
const DRAG_SLOP_PX = 4;
// Fit on a very wide tree (issue 14: "a thin strip at Fit"): showing all of it made its nodes a few pixels
// wide in a 160 px strip. Fit never draws a node smaller than this (thumbnail side, screen px) when the tree's
// height would still fit at a larger size: it fits the height instead, starts at the original, and the
// rest is a drag sideways away. "All" still shows the whole tree, however small.
const FIT_MIN_NODE_PX = 24;

// Large trees (more nodes than the `full_draw_max` trait, one definition in remix_explorer.py) are drawn in
// two layers so a 10,000-node cascade stays smooth to pan: a canvas under the SVG draws every edge and
// node that is in view (one path per style, redrawn once per animation frame while the view moves), and
// the SVG holds full nodes (picture, owner, edit; clickable) only for what is in view when zoomed in far
// enough to read them (DETAIL_MIN_ZOOM), added DETAIL_CHUNK per frame (progressive drawing) and removed
// once well out of view. Their pictures are asked for (`wanted`) as they come into view.
// Both layers are drawn for a tile larger than the view (TILE_MARGIN views on each side) and moved with a CSS
// transform while the view stays inside it: most pan frames are then only a compositor move.
const DETAIL_MIN_ZOOM = 0.3;
const DETAIL_MAX = 1200;
const TILE_MARGIN = 0.5;
const DETAIL_CHUNK = 120;
const WANT_DELAY_MS = 120;

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "sw-remix-tree-root";
  el.appendChild(root);
  const bar = document.createElement("div");
  bar.className = "sw-tree-controls";
  const buttons = {};
  for (const [name, text, title] of [["in", "+", "Zoom in"], ["out", "\u2212", "Zoom out"],
                                     ["fit", "Fit", "Fit the tree's height (drag sideways for the rest of a wide tree)"],
                                     ["all", "All", "Show the whole tree, however small"],
                                     ["sel", "Selected", "Show the selected clip"]]) {
    const b = document.createElement("button");
    b.className = `sw-tree-${name} jupyter-button`;
    b.textContent = text;
    b.title = title;
    b.type = "button";
    bar.appendChild(b);
    buttons[name] = b;
  }
  const viewport = document.createElement("div");
  viewport.className = "sw-remix-viewport sw-scroll-x";
  root.appendChild(bar);
  root.appendChild(viewport);
  const canvas = document.createElement("canvas");
  canvas.className = "sw-remix-canvas";
  const tileBox = document.createElement("div");  // big trees: the tile (canvas + SVG), moved by a transform
  tileBox.className = "sw-remix-layer";
  let tile = null;              // big trees: {x, y, w, h, k}: the drawn tile in tree coordinates
  const thumbCache = new Map(); // thumbnail hash -> data URL: kept across updates of `thumbs`
  let treeNodes = [];           // `nodes`, sent as one JSON string (see RemixTree.nodes), parsed once per tree
  let big = false;              // drawn in two layers (see above)
  let byId = new Map();
  let detail = new Map();       // big trees: clip id -> its SVG group, for the nodes drawn in full
  let queue = [];               // big trees: nodes waiting to be drawn in full (a chunk per frame)
  let frame = 0;                // a pending animation frame (big trees redraw once per frame)
  let wantTimer = 0;

  // The view: top-left corner (x, y) in tree coordinates and the zoom k (screen px per tree px).
  const view = { x: 0, y: 0, k: 1 };
  let s = null;
  let fitted = false;

  function size() {
    const w = viewport.clientWidth || 600;
    const h = Math.min(VIEW_HEIGHT_PX, Math.max(160, model.get("height_px") * view.k + 16));
    return { w, h };
  }
  function apply() {
    if (!s) return;
    if (big) {
      if (!frame) frame = requestAnimationFrame(place);
      return;
    }
    setViewBox();
  }
  function place() {  // big trees: move the tile under the view; draw a new one when the view leaves it
    frame = 0;
    if (!s || !big) return;
    const { w, h } = size();
    viewport.style.height = `${h}px`;
    const k = view.k;
    if (!tile || tile.k !== k || view.x < tile.x || view.y < tile.y || view.x + w / k > tile.x + tile.w ||
        view.y + h / k > tile.y + tile.h) {
      paint(w, h);
    }
    tileBox.style.transform = `translate(${(tile.x - view.x) * k}px, ${(tile.y - view.y) * k}px)`;
  }
  function setViewBox() {
    const { w, h } = size();
    viewport.style.height = `${h}px`;
    s.setAttribute("viewBox", `${view.x} ${view.y} ${w / view.k} ${h / view.k}`);
  }
  function fitZoom() {
    const w = viewport.clientWidth || 600;
    return Math.min(w / model.get("width_px"), VIEW_HEIGHT_PX / model.get("height_px"));
  }
  function minZoom() {  // any tree may be zoomed out until all of it shows ("All" on a very wide one)
    return Math.max(1e-4, Math.min(MIN_ZOOM, fitZoom()));
  }
  function zoomAt(factor, px, py) {
    const k = Math.min(MAX_ZOOM, Math.max(minZoom(), view.k * factor));
    // Keep the tree point under (px, py) where it is.
    view.x += px / view.k - px / k;
    view.y += py / view.k - py / k;
    view.k = k;
    apply();
  }
  function showAll() {
    const w = viewport.clientWidth || 600;
    const tw = model.get("width_px");
    view.k = Math.min(1, Math.max(minZoom(), fitZoom()));
    view.x = -(w / view.k - tw) / 2;
    view.y = 0;
    apply();
  }
  function fit() {  // the whole tree if its nodes stay readable, else its height at a readable size (see above)
    const w = viewport.clientWidth || 600;
    const tw = model.get("width_px");
    const heightZoom = VIEW_HEIGHT_PX / model.get("height_px");
    const k = Math.min(1, Math.max(minZoom(), fitZoom(), Math.min(heightZoom, FIT_MIN_NODE_PX / THUMB)));
    if (k * tw <= w + 1) {
      showAll();
      return;
    }
    view.k = k;
    // Start at the original (the tree's root), the view kept inside the tree's width.
    const root = treeNodes.find((n) => !byId.has(n.parent_id)) || { x: tw / 2 };
    view.x = Math.max(0, Math.min(tw - w / k, root.x - w / (2 * k)));
    view.y = 0;
    apply();
  }
  function centreOn(id, always) {
    const n = byId.get(id);
    if (!n) return;
    const { w, h } = size();
    const inside = n.x >= view.x && n.x <= view.x + w / view.k && n.y >= view.y && n.y <= view.y + h / view.k;
    if (inside && !always) return;
    view.x = n.x - w / (2 * view.k);
    view.y = n.y - h / (2 * view.k);
    apply();
  }

  function nodeGroup(n, selected, parent) {
    const cls = ["sw-node"];
    if (n.clip_id === selected) cls.push("sw-node-selected");
    if (!n.visible) cls.push("sw-node-hidden");
    if (n.note === "original removed") cls.push("sw-node-orphan");
    if (n.has_media) cls.push("sw-node-playable");
    const g = svg("g", { class: cls.join(" "), "data-clip-id": n.clip_id, transform: `translate(${n.x},${n.y})` }, parent);
    svg("rect", { x: -THUMB / 2 - 3, y: -THUMB / 2 - 3, width: THUMB + 6, height: THUMB + 6, rx: 6, class: "sw-node-frame" }, g);
    if (n.thumb && thumbCache.has(n.thumb)) {
      svg("image", { href: thumbCache.get(n.thumb), x: -THUMB / 2, y: -THUMB / 2, width: THUMB, height: THUMB }, g);
    } else {
      g.__blank = svg("rect", { x: -THUMB / 2, y: -THUMB / 2, width: THUMB, height: THUMB, class: "sw-node-blank" }, g);
      if (n.visible && !n.has_media && !n.thumb) { // a record (prompt and recipe) with no video rendered yet
        svg("text", { y: 4, "text-anchor": "middle", class: "sw-node-novideo" }, g).textContent = "no video";
      }
    }
    if (n.has_media) {
      svg("path", { d: `M${THUMB / 2 - 16},${THUMB / 2 - 16} l12,6 l-12,6 z`, class: "sw-node-play" }, g);
    }
    const label = svg("text", { y: THUMB / 2 + 15, "text-anchor": "middle", class: "sw-node-label" }, g);
    label.textContent = n.visible ? "@" + n.owner : n.note;
    if (n.note && n.visible) {
      const note = svg("text", { y: THUMB / 2 + 27, "text-anchor": "middle", class: "sw-node-note" }, g);
      note.textContent = n.note;
    }
    if (big && n.edge) { // big trees: the edge's words ride with the node (the canvas draws the line)
      const t = svg("text", { y: -THUMB / 2 - 6, class: "sw-edge-label", "text-anchor": "middle" }, g);
      t.textContent = short(n.edge, 20);
    }
    svg("title", {}, g).textContent = n.visible ? `${n.clip_id} · ${n.prompt}` : `${n.clip_id} · ${n.note}`;
    g.addEventListener("click", () => {
      if (dragged) return; // the end of a pan, not a choice
      choose(n.clip_id);
    });
    return g;
  }
  function choose(id) {
    model.set("selected", id);
    model.save_changes();
  }

  function draw() {
    const nodes = treeNodes;
    const selected = model.get("selected");
    big = nodes.length > (model.get("full_draw_max") || DETAIL_MAX);
    byId = new Map(nodes.map((n) => [n.clip_id, n]));
    detail = new Map();
    queue = [];
    viewport.innerHTML = "";
    tileBox.innerHTML = "";
    tile = null;
    if (big) {
      viewport.appendChild(tileBox);
      tileBox.appendChild(canvas);
    }
    s = svg("svg", { width: "100%", height: "100%", class: "sw-remix-svg", "data-tree-width": model.get("width_px"),
                     "data-tree-height": model.get("height_px"), "data-nodes": nodes.length,
                     "data-drawing": big ? "layers" : "all" }, big ? tileBox : viewport);
    if (big) {
      s.appendChild(document.createElementNS(SVG, "g")).setAttribute("class", "sw-nodes");
      return; // paint() draws what is in view
    }
    const edges = svg("g", { class: "sw-edges" }, s);
    for (const n of nodes) {
      const p = byId.get(n.parent_id);
      if (!p) continue;
      const midY = (p.y + n.y) / 2;
      svg("path", {
        d: `M${p.x},${p.y + THUMB / 2} C${p.x},${midY} ${n.x},${midY} ${n.x},${n.y - THUMB / 2}`,
        class: "sw-edge" + (n.visible ? "" : " sw-edge-hidden"),
      }, edges);
      if (n.edge) {
        const t = svg("text", { x: n.x, y: n.y - THUMB / 2 - 6, class: "sw-edge-label", "text-anchor": "middle" }, edges);
        t.textContent = short(n.edge, 20);
        svg("title", {}, t).textContent = n.edge;
      }
    }
    const layer = svg("g", { class: "sw-nodes" }, s);
    for (const n of nodes) nodeGroup(n, selected, layer);
  }

  // Big trees: draw the tile around the view (the view's size on screen is w x h px): the canvas layer, then
  // the full nodes in it.
  function paint(w, h) {
    const k = view.k, tw = Math.round(w * (1 + 2 * TILE_MARGIN)), th = Math.round(h * (1 + 2 * TILE_MARGIN));
    tile = { x: view.x - (TILE_MARGIN * w) / k, y: view.y - (TILE_MARGIN * h) / k, w: tw / k, h: th / k, k };
    s.setAttribute("width", tw);
    s.setAttribute("height", th);
    s.setAttribute("viewBox", `${tile.x} ${tile.y} ${tile.w} ${tile.h}`);
    const dpr = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(tw * dpr) || canvas.height !== Math.round(th * dpr)) {
      canvas.width = Math.round(tw * dpr);
      canvas.height = Math.round(th * dpr);
      canvas.style.width = `${tw}px`;
      canvas.style.height = `${th}px`;
    }
    const x0 = tile.x, y0 = tile.y, x1 = x0 + tile.w, y1 = y0 + tile.h;
    const ctx = canvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.setTransform(dpr * k, 0, 0, dpr * k, -x0 * k * dpr, -y0 * k * dpr);
    const nodes = treeNodes;
    const half = THUMB / 2 + 3;
    const curved = k >= DETAIL_MIN_ZOOM;
    const shown = [], edges = new Path2D(), hiddenEdges = new Path2D();
    for (const n of nodes) {
      const p = byId.get(n.parent_id);
      if (p && Math.max(p.x, n.x) >= x0 && Math.min(p.x, n.x) <= x1 && n.y >= y0 - half && p.y <= y1 + half) {
        const path = n.visible ? edges : hiddenEdges;
        path.moveTo(p.x, p.y + THUMB / 2);
        if (curved) {
          const midY = (p.y + n.y) / 2;
          path.bezierCurveTo(p.x, midY, n.x, midY, n.x, n.y - THUMB / 2);
        } else {
          path.lineTo(n.x, n.y - THUMB / 2);
        }
      }
      if (n.x + half >= x0 && n.x - half <= x1 && n.y + half >= y0 && n.y - half <= y1) shown.push(n);
    }
    ctx.lineWidth = Math.max(1.6, 1 / k);
    ctx.strokeStyle = "#8a94a6";
    ctx.stroke(edges);
    ctx.globalAlpha = 0.5;
    ctx.stroke(hiddenEdges);
    ctx.globalAlpha = 1;
    const full = k >= DETAIL_MIN_ZOOM && shown.length <= DETAIL_MAX;
    if (!full) { // too far out to read a node: a box per node, coloured by what it is
      const r = Math.max(half, 1.5 / k);
      const selected = model.get("selected");
      const styles = [["#d9d9d9", (n) => !n.visible], ["#5b8def", (n) => n.visible && n.has_media],
                      ["#c4cad6", (n) => n.visible && !n.has_media], ["#f08a24", (n) => n.clip_id === selected]];
      for (const [colour, test] of styles) {
        const boxes = new Path2D();
        for (const n of shown) if (test(n)) boxes.rect(n.x - r, n.y - r, 2 * r, 2 * r);
        ctx.fillStyle = colour;
        ctx.fill(boxes);
      }
    }
    updateDetail(full ? shown : [], x0, y0, x1, y1);
  }

  function updateDetail(shown, x0, y0, x1, y1) {
    const layer = s.querySelector(".sw-nodes");
    const mx = x1 - x0, my = y1 - y0; // keep full nodes up to one view away: no churn while panning back and forth
    for (const [id, g] of detail) {
      const n = byId.get(id);
      if (!shown.length || n.x < x0 - mx || n.x > x1 + mx || n.y < y0 - my || n.y > y1 + my) {
        g.remove();
        detail.delete(id);
      }
    }
    queue = shown.filter((n) => !detail.has(n.clip_id));
    s.setAttribute("data-pending", queue.length);
    if (queue.length) drawChunk(layer);
    askThumbs();
  }
  function drawChunk(layer) {
    const selected = model.get("selected");
    for (const n of queue.splice(0, DETAIL_CHUNK)) {
      if (!detail.has(n.clip_id)) detail.set(n.clip_id, nodeGroup(n, selected, layer));
    }
    s.setAttribute("data-pending", queue.length);
    if (queue.length) requestAnimationFrame(() => drawChunk(layer));
  }
  function askThumbs() {  // the pictures of the full nodes in view that this page does not have yet
    clearTimeout(wantTimer);
    wantTimer = setTimeout(() => {
      const want = new Set();
      for (const id of detail.keys()) {
        const n = byId.get(id);
        if (n.thumb && !thumbCache.has(n.thumb)) want.add(n.thumb);
      }
      for (const n of queue) if (n.thumb && !thumbCache.has(n.thumb)) want.add(n.thumb);
      if (!want.size) return;
      model.set("wanted", [...want].sort());
      model.save_changes();
    }, WANT_DELAY_MS);
  }
  function thumbsArrived() {
    for (const [h, url] of Object.entries(model.get("thumbs") || {})) thumbCache.set(h, url);
    if (!big) { redraw(); return; }
    for (const [id, g] of detail) {
      const n = byId.get(id);
      if (g.__blank && n.thumb && thumbCache.has(n.thumb)) {
        const img = svg("image", { href: thumbCache.get(n.thumb), x: -THUMB / 2, y: -THUMB / 2, width: THUMB, height: THUMB });
        g.replaceChild(img, g.__blank);
        g.__blank = null;
      }
    }
  }

  // Pointers: one drags the view, two pinch-zoom it.
  const pointers = new Map();
  let dragged = false;
  let start = null;
  let pinch = null;
  viewport.addEventListener("pointerdown", (e) => {
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    dragged = false;
    start = { x: e.clientX, y: e.clientY, vx: view.x, vy: view.y };
    if (pointers.size === 2) {
      const [a, b] = [...pointers.values()];
      pinch = { d: Math.hypot(a.x - b.x, a.y - b.y), k: view.k };
    }
  });
  viewport.addEventListener("pointermove", (e) => {
    if (!pointers.has(e.pointerId)) return;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    const r = viewport.getBoundingClientRect();
    if (pointers.size === 2 && pinch) {
      const [a, b] = [...pointers.values()];
      const d = Math.hypot(a.x - b.x, a.y - b.y);
      zoomAt((pinch.k * d) / pinch.d / view.k, (a.x + b.x) / 2 - r.left, (a.y + b.y) / 2 - r.top);
      dragged = true;
      return;
    }
    const dx = e.clientX - start.x, dy = e.clientY - start.y;
    if (!dragged && Math.hypot(dx, dy) < DRAG_SLOP_PX) return;
    if (!dragged) viewport.setPointerCapture(e.pointerId);
    dragged = true;
    viewport.classList.add("sw-panning");
    view.x = start.vx - dx / view.k;
    view.y = start.vy - dy / view.k;
    apply();
  });
  viewport.addEventListener("click", (e) => {
    if (!big || dragged || e.target.closest(".sw-node")) return;
    // Zoomed out, a big tree's nodes are boxes on the canvas: a click picks the one under the pointer.
    const r = viewport.getBoundingClientRect();
    const tx = view.x + (e.clientX - r.left) / view.k, ty = view.y + (e.clientY - r.top) / view.k;
    const reach = Math.max(THUMB / 2 + 3, 4 / view.k);
    let best = null, bestD = Infinity;
    for (const n of treeNodes) {
      const d = Math.max(Math.abs(n.x - tx), Math.abs(n.y - ty));
      if (d <= reach && d < bestD) { best = n; bestD = d; }
    }
    if (best) choose(best.clip_id);
  });
  const release = (e) => {
    pointers.delete(e.pointerId);
    if (pointers.size < 2) pinch = null;
    viewport.classList.remove("sw-panning");
    // The click that ends a drag comes after pointerup: forget the drag once it has been seen.
    setTimeout(() => { dragged = false; }, 0);
  };
  viewport.addEventListener("pointerup", release);
  viewport.addEventListener("pointercancel", release);
  viewport.addEventListener("wheel", (e) => {
    e.preventDefault();
    const r = viewport.getBoundingClientRect();
    zoomAt(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
  }, { passive: false });
  buttons.in.addEventListener("click", () => zoomAt(1.25, viewport.clientWidth / 2, size().h / 2));
  buttons.out.addEventListener("click", () => zoomAt(0.8, viewport.clientWidth / 2, size().h / 2));
  buttons.fit.addEventListener("click", fit);
  buttons.all.addEventListener("click", showAll);
  buttons.sel.addEventListener("click", () => centreOn(model.get("selected"), true));

  // For benchmarks and tests: zoom to k around the view's centre; show clip `id` at zoom k.
  viewport.__swZoomTo = (k) => zoomAt(k / view.k, viewport.clientWidth / 2, size().h / 2);
  viewport.__swPanBy = (dx, dy) => {  // what a drag does, drawn at once (a benchmark calls it once per frame)
    view.x -= dx / view.k;
    view.y -= dy / view.k;
    if (big) place(); else setViewBox();
  };
  viewport.__swShow = (id, k) => {
    view.k = Math.min(MAX_ZOOM, Math.max(minZoom(), k));
    centreOn(id, true);
  };

  function redraw() {
    draw();
    apply();
  }
  function newTree() {
    const raw = model.get("nodes");
    treeNodes = typeof raw === "string" ? JSON.parse(raw) : raw || [];
    for (const [h, url] of Object.entries(model.get("thumbs") || {})) thumbCache.set(h, url);
    draw();
    // First look: the selected clip at full size if there is one, else the whole tree.
    requestAnimationFrame(() => {
      if (model.get("selected")) {
        view.k = 1;
        centreOn(model.get("selected"), true);
      } else {
        fit();
      }
      fitted = true;
    });
  }
  function selectedChanged() {
    if (big) {  // only the nodes concerned change
      for (const g of s.querySelectorAll(".sw-node-selected")) g.classList.remove("sw-node-selected");
      if (detail.has(model.get("selected"))) detail.get(model.get("selected")).classList.add("sw-node-selected");
      tile = null;  // the canvas marks the selected box too
      apply();
    } else {
      draw();
      apply();
    }
    centreOn(model.get("selected"), false);
  }

  newTree();
  model.on("change:nodes", newTree);
  model.on("change:thumbs", thumbsArrived);
  model.on("change:selected", selectedChanged);
  model.on("change:width_px", redraw);
  const resized = new ResizeObserver(() => fitted && apply());
  resized.observe(viewport);
  return () => {
    resized.disconnect();
    clearTimeout(wantTimer);
    if (frame) cancelAnimationFrame(frame);
    model.off("change:nodes", newTree);
    model.off("change:thumbs", thumbsArrived);
    model.off("change:selected", selectedChanged);
    model.off("change:width_px", redraw);
  };
}

export default { render };
