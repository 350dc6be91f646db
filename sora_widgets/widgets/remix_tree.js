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

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "sw-remix-tree-root";
  el.appendChild(root);

  function draw() {
    const nodes = model.get("nodes") || [];
    const thumbs = model.get("thumbs") || {};
    const selected = model.get("selected");
    root.innerHTML = "";
    const s = svg("svg", {
      width: model.get("width_px"), height: model.get("height_px"), class: "sw-remix-svg",
    }, root);
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
        model.set("selected", n.clip_id);
        model.save_changes();
      });
    }
  }

  // Bring the selected clip into view (trees of popular originals are much wider than the page).
  function reveal() {
    const sel = root.querySelector(".sw-node-selected");
    if (sel && sel.scrollIntoView) sel.scrollIntoView({ block: "nearest", inline: "center" });
  }
  function drawAndReveal() {
    draw();
    requestAnimationFrame(reveal);
  }

  drawAndReveal();
  model.on("change:nodes", drawAndReveal);
  model.on("change:thumbs", draw);
  model.on("change:selected", draw);
  model.on("change:width_px", draw);
  return () => {
    model.off("change:nodes", drawAndReveal);
    model.off("change:thumbs", draw);
    model.off("change:selected", draw);
    model.off("change:width_px", draw);
  };
}

export default { render };
