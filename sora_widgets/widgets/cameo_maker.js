// CameoCanvas: shows one frame (with the mask overlay once extracted), lets the user
// drag a box on it (animals and objects) and scrub frames with a slider.
function render({ model, el }) {
  el.classList.add("sw-cameo-canvas");
  const canvas = document.createElement("canvas");
  const slider = document.createElement("input");
  slider.type = "range"; slider.min = 0; slider.step = 1; slider.className = "sw-cameo-scrub";
  const label = document.createElement("div"); label.className = "sw-cameo-frame-label";
  el.append(canvas, slider, label);
  const ctx = canvas.getContext("2d");
  const img = new Image();
  let drag = null;

  function draw() {
    canvas.width = model.get("width"); canvas.height = model.get("height");
    if (img.complete && img.naturalWidth) ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    const b = drag || model.get("box");
    if (b && b.length === 4 && model.get("draw_enabled")) {
      ctx.strokeStyle = "#ffd400"; ctx.lineWidth = 2;
      ctx.strokeRect(b[0], b[1], b[2] - b[0], b[3] - b[1]);
    }
    const n = model.get("num_frames");
    slider.max = Math.max(0, n - 1); slider.value = model.get("frame_index");
    slider.style.display = n > 1 ? "" : "none";
    label.textContent = n > 1 ? `frame ${model.get("frame_index") + 1} / ${n}` : "";
  }
  function loadImage() {
    const data = model.get("frame_png");
    if (!data || !data.byteLength) { draw(); return; }
    const url = URL.createObjectURL(new Blob([data], { type: "image/png" }));
    img.onload = () => { URL.revokeObjectURL(url); draw(); };
    img.src = url;
  }
  function pos(ev) {
    const r = canvas.getBoundingClientRect();
    return [Math.round((ev.clientX - r.left) * canvas.width / r.width),
            Math.round((ev.clientY - r.top) * canvas.height / r.height)];
  }
  canvas.addEventListener("mousedown", (ev) => {
    if (!model.get("draw_enabled")) return;
    const [x, y] = pos(ev); drag = [x, y, x, y];
  });
  canvas.addEventListener("mousemove", (ev) => {
    if (!drag) return;
    const [x, y] = pos(ev); drag[2] = x; drag[3] = y; draw();
  });
  window.addEventListener("mouseup", () => {
    if (!drag) return;
    const b = [Math.min(drag[0], drag[2]), Math.min(drag[1], drag[3]), Math.max(drag[0], drag[2]), Math.max(drag[1], drag[3])];
    drag = null;
    model.set("box", b); model.save_changes(); draw();
  });
  slider.addEventListener("input", () => { model.set("frame_index", Number(slider.value)); model.save_changes(); });
  model.on("change:frame_png", loadImage);
  for (const k of ["box", "num_frames", "frame_index", "draw_enabled", "width", "height"]) model.on(`change:${k}`, draw);
  loadImage();
}
export default { render };
