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
    // The box belongs to frame 1 (extraction starts there): drawn on other frames it would mislead.
    const b = drag || (model.get("frame_index") === 0 ? model.get("box") : null);
    if (b && b.length === 4 && model.get("draw_enabled")) {
      ctx.strokeStyle = "#ffd400"; ctx.lineWidth = 2;
      ctx.strokeRect(b[0], b[1], b[2] - b[0], b[3] - b[1]);
    }
    const n = model.get("num_frames");
    slider.max = Math.max(0, n - 1); slider.value = model.get("frame_index");
    slider.style.display = n > 1 ? "" : "none";
    label.textContent = n > 1 ? `frame ${model.get("frame_index") + 1} / ${n}` +
      (model.get("draw_enabled") && model.get("frame_index") > 0 ? " (the box is drawn on frame 1)" : "") : "";
  }
  function loadImage() {
    const data = model.get("frame_png");
    if (!data || !data.byteLength) { draw(); return; }
    const url = URL.createObjectURL(new Blob([data], { type: "image/png" }));
    img.onload = () => { URL.revokeObjectURL(url); draw(); };
    img.src = url;
  }
  // Mouse position in image pixels. The content box is used, not getBoundingClientRect alone:
  // the CSS border is not part of the image and would stretch every box by its width.
  // Clamped so a drag that leaves the canvas ends on its edge.
  function pos(ev) {
    const r = canvas.getBoundingClientRect();
    const w = canvas.clientWidth || r.width, h = canvas.clientHeight || r.height;
    const x = (ev.clientX - r.left - canvas.clientLeft) * canvas.width / w;
    const y = (ev.clientY - r.top - canvas.clientTop) * canvas.height / h;
    return [Math.min(canvas.width, Math.max(0, Math.round(x))), Math.min(canvas.height, Math.max(0, Math.round(y)))];
  }
  canvas.addEventListener("mousedown", (ev) => {
    if (!model.get("draw_enabled") || ev.button !== 0) return;
    ev.preventDefault();  // no text selection while dragging
    if (model.get("frame_index") !== 0) {  // a box drawn elsewhere would be read on frame 1: go there first
      model.set("frame_index", 0); model.save_changes(); return;
    }
    const [x, y] = pos(ev); drag = [x, y, x, y];
  });
  // Moves and the release are followed on the window, so dragging past the canvas edge still works.
  const onMove = (ev) => {
    if (!drag) return;
    const [x, y] = pos(ev); drag[2] = x; drag[3] = y; draw();
  };
  const onUp = () => {
    if (!drag) return;
    const b = [Math.min(drag[0], drag[2]), Math.min(drag[1], drag[3]), Math.max(drag[0], drag[2]), Math.max(drag[1], drag[3])];
    drag = null;
    model.set("box", b); model.save_changes(); draw();
  };
  window.addEventListener("mousemove", onMove);
  window.addEventListener("mouseup", onUp);
  slider.addEventListener("input", () => { model.set("frame_index", Number(slider.value)); model.save_changes(); });
  model.on("change:frame_png", loadImage);
  for (const k of ["box", "num_frames", "frame_index", "draw_enabled", "width", "height"]) model.on(`change:${k}`, draw);
  loadImage();
  // The listeners are on the window: remove them with the view, or every re-render leaks one pair.
  return () => { window.removeEventListener("mousemove", onMove); window.removeEventListener("mouseup", onUp); };
}
export default { render };
