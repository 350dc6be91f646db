// SpaceTimePlot: the (x, y, t) points of a clip drawn on a 2D canvas, looked at from a rotatable angle.
// Why a canvas and not a 3D library: this view is a few thousand coloured dots in a box, and the Studio page
// must not load 2.9 MB of threejs/vuetify for it (issue 11: first clip playable <= 2 s from page load).
// Projection is orthographic: rotate about the vertical (y) axis by `azimuth`, then tilt by `elevation`;
// dots are painted far to near so nearer ones cover farther ones. Drag rotates; the new angles are synced.
const PAD_PX = 36;
const BG = "#111";
const EDGE = "rgba(255,255,255,0.28)";
const LABEL = "#bbb";
const DEG = Math.PI / 180;

// `points` arrives as a DataView (ipywidgets 8) or an ArrayBuffer; copied so the Float32Array is aligned.
function floats(value) {
  if (!value) return new Float32Array(0);
  const buf = value.buffer ? value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength) : value;
  return new Float32Array(buf);
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "sw-spacetime-plot";
  const canvas = document.createElement("canvas");
  canvas.setAttribute("role", "img");
  canvas.setAttribute("aria-label", "space-time view: x and y across, time along the t axis; drag to rotate");
  root.appendChild(canvas);
  el.appendChild(root);
  const ctx = canvas.getContext("2d");

  let pts = new Float32Array(0); // x, y, t, r, g, b per point
  let colours = [];
  let order = new Uint32Array(0);
  let depth = new Float32Array(0);
  let pending = false;

  function load() {
    pts = floats(model.get("points"));
    const n = Math.floor(pts.length / 6);
    colours = new Array(n);
    for (let i = 0; i < n; i++) {
      const o = i * 6;
      colours[i] = `rgb(${Math.round(pts[o + 3] * 255)},${Math.round(pts[o + 4] * 255)},${Math.round(pts[o + 5] * 255)})`;
    }
    order = new Uint32Array(n);
    depth = new Float32Array(n);
    el.dataset.points = String(n);
  }

  function size() {
    const w = model.get("width_px");
    const h = model.get("height_px");
    const ratio = window.devicePixelRatio || 1;
    canvas.style.width = `${w}px`;
    canvas.style.height = `${h}px`;
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  }

  // Unit cube centred on the origin: x, y in [0, 1] and t / duration in [0, 1] each map to [-0.5, 0.5].
  function projector() {
    const a = model.get("azimuth") * DEG;
    const e = model.get("elevation") * DEG;
    const ca = Math.cos(a), sa = Math.sin(a), ce = Math.cos(e), se = Math.sin(e);
    const w = model.get("width_px"), h = model.get("height_px");
    const scale = (Math.min(w, h) - 2 * PAD_PX) / Math.sqrt(2);
    return (x, y, z) => {
      const X = x - 0.5, Y = y - 0.5, Z = z - 0.5;
      const x1 = X * ca + Z * sa;
      const z1 = -X * sa + Z * ca;
      const y2 = Y * ce - z1 * se;
      const z2 = Y * se + z1 * ce; // towards the viewer
      return [w / 2 + scale * x1, h / 2 - scale * y2, z2];
    };
  }

  function draw() {
    pending = false;
    const w = model.get("width_px"), h = model.get("height_px");
    const duration = Math.max(model.get("duration"), 1e-3);
    const project = projector();
    ctx.fillStyle = BG;
    ctx.fillRect(0, 0, w, h);
    // The box's 12 edges.
    const corners = [];
    for (let i = 0; i < 8; i++) corners.push(project(i & 1, (i >> 1) & 1, (i >> 2) & 1));
    ctx.strokeStyle = EDGE;
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 0; i < 8; i++) {
      for (const bit of [1, 2, 4]) {
        if (i & bit) continue;
        const [ax, ay] = corners[i];
        const [bx, by] = corners[i | bit];
        ctx.moveTo(ax, ay);
        ctx.lineTo(bx, by);
      }
    }
    ctx.stroke();
    // Axis names at the far end of the three edges that leave the origin corner; t gets its range.
    ctx.fillStyle = LABEL;
    ctx.font = "12px system-ui, sans-serif";
    const label = (text, x, y, z) => {
      const [sx, sy] = project(x, y, z);
      ctx.fillText(text, sx + 4, sy - 4);
    };
    label("x", 1.05, 0, 0);
    label("y", 0, 1.05, 0);
    label(`t ${duration.toFixed(1)} s`, 0, 0, 1.05);
    label("0", 0, 0, 0);
    // The dots, far to near.
    const n = order.length;
    const px = new Float32Array(n), py = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      const o = i * 6;
      const [sx, sy, d] = project(pts[o], pts[o + 1], pts[o + 2] / duration);
      px[i] = sx;
      py[i] = sy;
      depth[i] = d;
      order[i] = i;
    }
    order.sort((i, j) => depth[i] - depth[j]);
    const s = Math.max(0.5, model.get("point_size"));
    for (let k = 0; k < n; k++) {
      const i = order[k];
      ctx.fillStyle = colours[i];
      ctx.fillRect(px[i] - s / 2, py[i] - s / 2, s, s);
    }
    el.dataset.drawn = String(n);
  }

  function redraw() {
    if (!pending) {
      pending = true;
      requestAnimationFrame(draw);
    }
  }

  // Drag to rotate: horizontal movement turns about the t/y axes, vertical tilts (kept within +-89 degrees).
  let drag = null;
  canvas.addEventListener("pointerdown", (ev) => {
    drag = { x: ev.clientX, y: ev.clientY, a: model.get("azimuth"), e: model.get("elevation") };
    canvas.setPointerCapture(ev.pointerId);
  });
  canvas.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    model.set("azimuth", (drag.a - (ev.clientX - drag.x) * 0.5) % 360);
    model.set("elevation", Math.max(-89, Math.min(89, drag.e + (ev.clientY - drag.y) * 0.5)));
    redraw();
  });
  const end = () => {
    if (drag) model.save_changes();
    drag = null;
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);

  const onPoints = () => { load(); redraw(); };
  const onSize = () => { size(); redraw(); };
  model.on("change:points", onPoints);
  model.on("change:duration", redraw);
  model.on("change:point_size", redraw);
  model.on("change:azimuth", redraw);
  model.on("change:elevation", redraw);
  model.on("change:width_px", onSize);
  model.on("change:height_px", onSize);
  size();
  load();
  draw();
  return () => {
    model.off("change:points", onPoints);
    model.off("change:duration", redraw);
    model.off("change:point_size", redraw);
    model.off("change:azimuth", redraw);
    model.off("change:elevation", redraw);
    model.off("change:width_px", onSize);
    model.off("change:height_px", onSize);
  };
}

export default { render };
