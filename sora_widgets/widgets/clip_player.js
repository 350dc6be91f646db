// ClipPlayer front end: <video> with sound, frame scrubber, loop, waveform + spectrogram timeline.
// Traits shared with Python: current_time (s), playing, loop; the rest is read-only media data.

function el(tag, cls, attrs = {}) {
  const n = document.createElement(tag);
  if (cls) n.className = cls;
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  return n;
}

function blobUrl(dataView, type) {
  if (!dataView || dataView.byteLength === 0) return "";
  const bytes = new Uint8Array(dataView.buffer, dataView.byteOffset, dataView.byteLength);
  return URL.createObjectURL(new Blob([bytes], { type }));
}

function render({ model, el: root }) {
  const box = el("div", "sw-player");
  const title = el("div", "sw-player-title");
  const video = el("video", "sw-player-video", { playsinline: "", preload: "auto" });
  const controls = el("div", "sw-player-controls");
  const play = el("button", "sw-player-play", { type: "button", "aria-label": "Play" });
  const scrub = el("input", "sw-player-scrub", { type: "range", min: "0", step: "1", "aria-label": "Frame" });
  const time = el("span", "sw-player-time");
  const loopLabel = el("label", "sw-player-loop-label");
  const loop = el("input", "sw-player-loop", { type: "checkbox", "aria-label": "Loop" });
  loopLabel.append(loop, document.createTextNode(" loop"));
  controls.append(play, scrub, time, loopLabel);
  const timeline = el("div", "sw-player-timeline", { title: "waveform and spectrogram; click to seek" });
  const wave = el("canvas", "sw-player-wave");
  const spec = el("img", "sw-player-spec", { alt: "spectrogram" });
  const markers = el("div", "sw-player-markers");
  const playhead = el("div", "sw-player-playhead");
  timeline.append(wave, spec, markers, playhead);
  box.append(title, video, controls, timeline);
  root.append(box);

  let videoUrl = "";
  let specUrl = "";
  let lastSentTime = null; // the current_time we wrote ourselves (ignore its echo)
  let lastSendAt = 0;
  let raf = 0;

  const fps = () => model.get("fps") || 24;
  const nFrames = () => Math.max(1, model.get("num_frames") || 1);
  const duration = () => model.get("duration") || nFrames() / fps();
  const frameAt = (t) => Math.min(nFrames() - 1, Math.max(0, Math.floor(t * fps() + 1e-6)));

  function sendTime(t, force) {
    const now = performance.now();
    if (!force && now - lastSendAt < 250) return; // while playing, 4 updates a second are plenty
    lastSendAt = now;
    lastSentTime = Math.round(t * 1e4) / 1e4;
    model.set("current_time", lastSentTime);
    model.save_changes();
  }

  function showTime(t) {
    const i = frameAt(t);
    scrub.value = String(i);
    time.textContent = `frame ${i + 1}/${nFrames()} · ${t.toFixed(2)} s`;
    const frac = Math.min(1, Math.max(0, t / duration()));
    playhead.style.left = `${(frac * 100).toFixed(3)}%`;
  }

  function seek(t) {
    t = Math.min(Math.max(0, t), duration());
    video.currentTime = t;
    showTime(t);
    sendTime(t, true);
  }

  function drawWave() {
    const lo = model.get("waveform_min") || [];
    const hi = model.get("waveform_max") || [];
    const w = Math.max(50, timeline.clientWidth || model.get("display_px") || 360);
    const h = 48;
    wave.width = w;
    wave.height = h;
    const ctx = wave.getContext("2d");
    ctx.fillStyle = "#111";
    ctx.fillRect(0, 0, w, h);
    ctx.strokeStyle = "#333";
    ctx.beginPath();
    ctx.moveTo(0, h / 2);
    ctx.lineTo(w, h / 2);
    ctx.stroke();
    if (!lo.length) return;
    // The envelope spans the audio; the timeline spans the video: scale so both share seconds.
    const span = Math.min(1, (model.get("audio_duration") || duration()) / duration());
    ctx.fillStyle = model.get("has_audio") ? "#4fc3f7" : "#555";
    const n = lo.length;
    for (let x = 0; x < w * span; x++) {
      const i = Math.min(n - 1, Math.floor((x / (w * span)) * n));
      const y0 = h / 2 - hi[i] * (h / 2 - 1);
      const y1 = h / 2 - lo[i] * (h / 2 - 1);
      ctx.fillRect(x, y0, 1, Math.max(1, y1 - y0));
    }
  }

  function drawMarkers() {
    markers.replaceChildren();
    for (const ev of model.get("events") || []) {
      const m = el("div", `sw-player-marker sw-marker-${String(ev.kind).replace(/[^a-z0-9_-]/gi, "")}`);
      m.style.left = `${((ev.t / duration()) * 100).toFixed(3)}%`;
      m.title = `${ev.kind} at ${Number(ev.t).toFixed(2)} s`;
      m.dataset.t = String(ev.t);
      markers.append(m);
    }
  }

  function loadMedia() {
    if (videoUrl) URL.revokeObjectURL(videoUrl);
    if (specUrl) URL.revokeObjectURL(specUrl);
    videoUrl = blobUrl(model.get("video"), "video/mp4");
    specUrl = blobUrl(model.get("spectrogram_png"), "image/png");
    video.src = videoUrl;
    spec.src = specUrl;
    spec.style.display = specUrl ? "" : "none";
    const px = model.get("display_px") || 360;
    const vw = model.get("video_width") || px;
    const vh = model.get("video_height") || px;
    const scale = px / Math.max(vw, vh);
    box.style.width = `${Math.round(Math.max(vw * scale, 240))}px`;
    video.style.width = `${Math.round(vw * scale)}px`;
    video.style.height = `${Math.round(vh * scale)}px`;
    scrub.max = String(nFrames() - 1);
    title.textContent = model.get("title") || "";
    title.style.display = title.textContent ? "" : "none";
    box.dataset.hasAudio = model.get("has_audio") ? "1" : "0";
    drawMarkers();
    showTime(model.get("current_time") || 0);
    requestAnimationFrame(drawWave);
  }

  function tick() {
    showTime(video.currentTime);
    sendTime(video.currentTime, false);
    raf = video.paused ? 0 : requestAnimationFrame(tick);
  }

  // --- browser -> model
  play.addEventListener("click", () => {
    if (video.paused) video.play().catch(() => model.set("playing", false));
    else video.pause();
  });
  scrub.addEventListener("input", () => {
    const i = Number(scrub.value);
    seek((i + 0.5) / fps()); // the middle of frame i: rounding can never land on a neighbour
  });
  loop.addEventListener("change", () => {
    model.set("loop", loop.checked);
    model.save_changes();
  });
  timeline.addEventListener("click", (e) => {
    const r = timeline.getBoundingClientRect();
    const frac = (e.clientX - r.left) / Math.max(1, r.width);
    const i = Math.min(nFrames() - 1, Math.max(0, Math.floor(frac * nFrames())));
    seek((i + 0.5) / fps());
  });
  video.addEventListener("play", () => {
    play.textContent = "❚❚";
    play.setAttribute("aria-label", "Pause");
    if (!model.get("playing")) {
      model.set("playing", true);
      model.save_changes();
    }
    if (!raf) raf = requestAnimationFrame(tick);
  });
  video.addEventListener("pause", () => {
    play.textContent = "▶";
    play.setAttribute("aria-label", "Play");
    sendTime(video.currentTime, true);
    if (model.get("playing")) {
      model.set("playing", false);
      model.save_changes();
    }
  });
  video.addEventListener("seeked", () => showTime(video.currentTime));
  video.addEventListener("loadedmetadata", () => showTime(video.currentTime));

  // --- model -> browser
  const onTime = () => {
    const t = model.get("current_time") || 0;
    if (lastSentTime !== null && Math.abs(t - lastSentTime) < 1e-4) return; // our own echo
    // Synced players drift a little while both play; only correct what a viewer would notice.
    const tolerance = video.paused ? 0.5 / fps() : 0.25;
    if (Math.abs(video.currentTime - t) > tolerance) video.currentTime = t;
    showTime(t);
  };
  const onPlaying = () => {
    const want = model.get("playing");
    if (want && video.paused) video.play().catch(() => { model.set("playing", false); model.save_changes(); });
    if (!want && !video.paused) video.pause();
  };
  const onLoop = () => {
    video.loop = !!model.get("loop");
    loop.checked = video.loop;
  };
  model.on("change:current_time", onTime);
  model.on("change:playing", onPlaying);
  model.on("change:loop", onLoop);
  model.on("change:video", loadMedia);
  model.on("change:events", drawMarkers);
  model.on("change:waveform_max", drawWave);

  play.textContent = "▶";
  loadMedia();
  onLoop();
  if (model.get("playing")) onPlaying();
  const ro = typeof ResizeObserver !== "undefined" ? new ResizeObserver(() => drawWave()) : null;
  if (ro) ro.observe(timeline);

  return () => {
    if (raf) cancelAnimationFrame(raf);
    if (ro) ro.disconnect();
    video.pause();
    if (videoUrl) URL.revokeObjectURL(videoUrl);
    if (specUrl) URL.revokeObjectURL(specUrl);
    model.off("change:current_time", onTime);
    model.off("change:playing", onPlaying);
    model.off("change:loop", onLoop);
    model.off("change:video", loadMedia);
    model.off("change:events", drawMarkers);
    model.off("change:waveform_max", drawWave);
  };
}

export default { render };
