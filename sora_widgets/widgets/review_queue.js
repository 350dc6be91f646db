// Keyboard shortcuts for the review queue: a = approve, r = remove, e = escalate.
// Keys typed into a text field (the reason box) are left alone. One listener per widget view,
// removed when the view goes away, so a re-rendered dashboard does not decide twice.
function render({ model, el }) {
  el.classList.add("sw-review-keys");
  el.textContent = "Shortcuts: a approve \u00b7 r remove \u00b7 e escalate";
  const onKey = (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
    const t = ev.target;
    const tag = (t && t.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
    const key = (ev.key || "").toLowerCase();
    if (key === "a" || key === "r" || key === "e") {
      ev.preventDefault();
      model.send({ key });
    }
  };
  document.addEventListener("keydown", onKey);
  return () => document.removeEventListener("keydown", onKey);
}
export default { render };
