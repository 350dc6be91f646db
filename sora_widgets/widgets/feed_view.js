// FeedView's vertical 9:16 player. The kernel decides what is shown (clip_id, caption) and
// whether the feed stopped; this view only plays and navigates.
//
// Video: one clip at a time. When clip_id changes the view asks the kernel for that clip's
// bytes ({type: "want"}) and, once it plays, for the next one (prefetch), so the whole feed
// never travels through the widget channel. At most KEEP blob URLs are held; older ones are
// revoked. Navigation: ArrowDown/ArrowUp or j/k (not while typing in a field), the mouse wheel
// (one step per gesture) and a vertical swipe on touch screens; each sends {type: "nav", step}.
const KEEP = 4;

// A speaker drawn with SVG paths (no font needed); with a cross when muted, with waves when not.
function speakerSvg(muted) {
  const body = '<path d="M3 9h4l5-4v14l-5-4H3z" fill="currentColor"/>';
  const mark = muted
    ? '<path d="M16 9l5 6M21 9l-5 6" stroke="currentColor" stroke-width="2" stroke-linecap="round"/>'
    : '<path d="M16 8.5a5 5 0 0 1 0 7M18.5 6a8.5 8.5 0 0 1 0 12" stroke="currentColor" stroke-width="2" fill="none" stroke-linecap="round"/>';
  return `<svg class="sw-feed-sound-icon" viewBox="0 0 24 24" width="14" height="14" aria-hidden="true">${body}${mark}</svg>`;
}

function render({ model, el }) {
  el.classList.add("sw-feed-player");
  el.tabIndex = 0;
  const frame = document.createElement("div");
  frame.className = "sw-feed-frame";
  const video = document.createElement("video");
  video.className = "sw-feed-video";
  video.loop = true;
  video.playsInline = true;
  video.controls = false;
  const img = document.createElement("img");
  img.className = "sw-feed-thumb";
  img.alt = "";
  const caption = document.createElement("div");
  caption.className = "sw-feed-caption";
  const owner = document.createElement("div");
  owner.className = "sw-feed-owner";
  const prompt = document.createElement("div");
  prompt.className = "sw-feed-prompt";
  const reason = document.createElement("div");
  reason.className = "sw-feed-reason";
  caption.append(owner, prompt, reason);
  const stop = document.createElement("div");
  stop.className = "sw-feed-stop";
  stop.setAttribute("role", "status");
  const empty = document.createElement("div");
  empty.className = "sw-feed-empty";
  const sound = document.createElement("button");
  sound.className = "sw-feed-sound";
  sound.type = "button";
  // An inline SVG speaker, not an emoji: Debian's chromium has no colour-emoji font by default, so
  // U+1F507 drew as a missing-glyph box. The label is plain text (the icon is decorative).
  const setSound = () => {
    const muted = video.muted;
    sound.innerHTML = speakerSvg(muted) + `<span class="sw-feed-sound-label">${muted ? "tap for sound" : "sound on"}</span>`;
    sound.setAttribute("aria-pressed", muted ? "false" : "true");
  };
  setSound();
  video.addEventListener("volumechange", setSound); // also when autoplay falls back to muted
  const pos = document.createElement("div");
  pos.className = "sw-feed-pos";
  frame.append(video, img, caption, sound, pos, stop, empty);
  el.append(frame);

  const urls = new Map(); // clip_id -> {url, mime}
  const asked = new Set();
  const remember = (id, url, mime) => {
    urls.set(id, { url, mime });
    while (urls.size > KEEP) {
      const oldest = urls.keys().next().value;
      if (oldest === model.get("clip_id")) break;
      URL.revokeObjectURL(urls.get(oldest).url);
      urls.delete(oldest);
      asked.delete(oldest);
    }
  };
  const want = (id) => {
    if (!id || urls.has(id) || asked.has(id)) return;
    asked.add(id);
    model.send({ type: "want", clip_id: id });
  };
  const show = () => {
    const id = model.get("clip_id");
    const stopped = model.get("stopped");
    el.dataset.clip = id || "";
    el.dataset.stopped = stopped ? "1" : "";
    stop.textContent = stopped;
    stop.style.display = stopped ? "flex" : "none";
    empty.textContent = model.get("empty_text");
    empty.style.display = !stopped && !id ? "flex" : "none";
    const cap = model.get("caption") || {};
    owner.textContent = cap.owner ? "@" + cap.owner : "";
    prompt.textContent = cap.prompt || "";
    reason.textContent = cap.reason || "";
    pos.textContent = model.get("position");
    if (stopped || !id) {
      video.pause();
      video.removeAttribute("src");
      img.style.display = "none";
      video.style.display = "none";
      return;
    }
    const got = urls.get(id);
    if (!got) {
      want(id);
      return;
    }
    if (got.mime.startsWith("video/")) {
      img.style.display = "none";
      video.style.display = "block";
      if (video.dataset.clip !== id) {
        video.dataset.clip = id;
        video.src = got.url;
        video.currentTime = 0;
        video.play().catch(() => {
          // Autoplay with sound is refused until the page is touched: play muted instead.
          video.muted = true;
          video.play().catch(() => {});
        });
      }
    } else {
      video.pause();
      video.style.display = "none";
      // A clip with neither video nor picture (a record without media) comes as "image/none" with no bytes:
      // the frame stays dark under its caption instead of showing a broken-image icon.
      const picture = got.mime !== "image/none";
      img.style.display = picture ? "block" : "none";
      if (picture) img.src = got.url;
    }
    want(model.get("next_clip_id"));
  };

  model.on("msg:custom", (msg, buffers) => {
    if (!msg || msg.type !== "media" || !buffers || !buffers.length) return;
    const blob = new Blob([buffers[0]], { type: msg.mime });
    remember(msg.clip_id, URL.createObjectURL(blob), msg.mime);
    if (msg.clip_id === model.get("clip_id")) show();
  });
  model.on("change:clip_id", show);
  model.on("change:caption", show);
  model.on("change:stopped", show);
  model.on("change:position", show);
  model.on("change:next_clip_id", () => want(model.get("next_clip_id")));

  const nav = (step) => model.send({ type: "nav", step });
  const onKey = (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (!el.isConnected) return;
    const t = ev.target;
    const tag = (t && t.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
    // In JupyterLab j/k and arrows move between cells: take them only when aimed at the feed or at nothing.
    const here = !t || t === document.body || t === document.documentElement || el.contains(t) || t.contains(el);
    if (!here) return;
    const k = ev.key;
    if (k === "ArrowDown" || k === "j" || k === "PageDown") {
      ev.preventDefault();
      ev.stopPropagation();
      nav(1);
    } else if (k === "ArrowUp" || k === "k" || k === "PageUp") {
      ev.preventDefault();
      ev.stopPropagation();
      nav(-1);
    }
  };
  let wheelUntil = 0;
  const onWheel = (ev) => {
    ev.preventDefault();
    const now = Date.now();
    if (now < wheelUntil || Math.abs(ev.deltaY) < 10) return;
    wheelUntil = now + 600; // one step per flick, not one per wheel event
    nav(ev.deltaY > 0 ? 1 : -1);
  };
  let touchY = null;
  const onTouchStart = (ev) => {
    touchY = ev.touches && ev.touches.length ? ev.touches[0].clientY : null;
  };
  const onTouchEnd = (ev) => {
    if (touchY === null || !ev.changedTouches || !ev.changedTouches.length) return;
    const dy = touchY - ev.changedTouches[0].clientY;
    touchY = null;
    if (Math.abs(dy) > 50) nav(dy > 0 ? 1 : -1);
  };
  sound.addEventListener("click", () => {
    video.muted = !video.muted;
    if (video.paused) video.play().catch(() => {});
    setSound();
  });
  video.addEventListener("click", () => (video.paused ? video.play().catch(() => {}) : video.pause()));
  window.addEventListener("keydown", onKey, true);
  frame.addEventListener("wheel", onWheel, { passive: false });
  frame.addEventListener("touchstart", onTouchStart, { passive: true });
  frame.addEventListener("touchend", onTouchEnd, { passive: true });
  show();
  return () => {
    window.removeEventListener("keydown", onKey, true);
    for (const { url } of urls.values()) URL.revokeObjectURL(url);
    urls.clear();
  };
}
export default { render };
