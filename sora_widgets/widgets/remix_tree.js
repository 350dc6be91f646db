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

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "sw-remix-tree-root";
  el.appendChild(root);
  const bar = document.createElement("div");
  bar.className = "sw-tree-controls";
  const buttons = {};
  for (const [name, text, title] of [["in", "+", "Zoom in"], ["out", "\u2212", "Zoom out"],
                                     ["fit", "Fit", "Show the whole tree"], ["sel", "Selected", "Show the selected clip"]]) {
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
    const { w, h } = size();
    viewport.style.height = `${h}px`;
    s.setAttribute("viewBox", `${view.x} ${view.y} ${w / view.k} ${h / view.k}`);
  }
  function zoomAt(factor, px, py) {
    const k = Math.min(MAX_ZOOM, Math.max(MIN_ZOOM, view.k * factor));
    // Keep the tree point under (px, py) where it is.
    view.x += px / view.k - px / k;
    view.y += py / view.k - py / k;
    view.k = k;
    apply();
  }
  function fit() {
    const w = viewport.clientWidth || 600;
    const tw = model.get("width_px"), th = model.get("height_px");
    view.k = Math.min(1, Math.max(MIN_ZOOM, Math.min(w / tw, VIEW_HEIGHT_PX / th)));
    view.x = -(w / view.k - tw) / 2;
    view.y = 0;
    apply();
  }
  function centreOn(id, always) {
    const n = (model.get("nodes") || []).find((m) => m.clip_id === id);
    if (!n) return;
    const { w, h } = size();
    const inside = n.x >= view.x && n.x <= view.x + w / view.k && n.y >= view.y && n.y <= view.y + h / view.k;
    if (inside && !always) return;
    view.x = n.x - w / (2 * view.k);
    view.y = n.y - h / (2 * view.k);
    apply();
  }

  function draw() {
    const nodes = model.get("nodes") || [];
    const thumbs = model.get("thumbs") || {};
    const selected = model.get("selected");
    viewport.innerHTML = "";
    s = svg("svg", { width: "100%", height: "100%", class: "sw-remix-svg", "data-tree-width": model.get("width_px"),
                     "data-tree-height": model.get("height_px") }, viewport);
    const byId = new Map(nodes.map((n) => [n.clip_id, n]));
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
    for (const n of nodes) {
      const cls = ["sw-node"];
      if (n.clip_id === selected) cls.push("sw-node-selected");
      if (!n.visible) cls.push("sw-node-hidden");
      if (n.note === "original removed") cls.push("sw-node-orphan");
      if (n.has_media) cls.push("sw-node-playable");
      const g = svg("g", { class: cls.join(" "), "data-clip-id": n.clip_id, transform: `translate(${n.x},${n.y})` }, layer);
      svg("rect", { x: -THUMB / 2 - 3, y: -THUMB / 2 - 3, width: THUMB + 6, height: THUMB + 6, rx: 6, class: "sw-node-frame" }, g);
      if (n.thumb && thumbs[n.thumb]) {
        svg("image", { href: thumbs[n.thumb], x: -THUMB / 2, y: -THUMB / 2, width: THUMB, height: THUMB }, g);
      } else {
        svg("rect", { x: -THUMB / 2, y: -THUMB / 2, width: THUMB, height: THUMB, class: "sw-node-blank" }, g);
        if (n.visible && !n.has_media) { // a record (prompt and recipe) with no video rendered yet
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
      svg("title", {}, g).textContent = n.visible ? `${n.clip_id} · ${n.prompt}` : `${n.clip_id} · ${n.note}`;
      g.addEventListener("click", () => {
        if (dragged) return; // the end of a pan, not a choice
        model.set("selected", n.clip_id);
        model.save_changes();
      });
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
  buttons.sel.addEventListener("click", () => centreOn(model.get("selected"), true));

  function redraw() {
    draw();
    apply();
  }
  function newTree() {
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
    draw();
    apply();
    centreOn(model.get("selected"), false);
  }

  newTree();
  model.on("change:nodes", newTree);
  model.on("change:thumbs", redraw);
  model.on("change:selected", selectedChanged);
  model.on("change:width_px", redraw);
  const resized = new ResizeObserver(() => fitted && apply());
  resized.observe(viewport);
  return () => {
    resized.disconnect();
    model.off("change:nodes", newTree);
    model.off("change:thumbs", redraw);
    model.off("change:selected", selectedChanged);
    model.off("change:width_px", redraw);
  };
}

export default { render };
