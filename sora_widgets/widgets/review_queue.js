// Keyboard shortcuts for the review queue: a = approve, r = remove, e = escalate.
// Keys typed into a text field (the reason box) are left alone. One listener per widget view,
// removed when the view goes away, so a re-rendered dashboard does not decide twice.
//
// In JupyterLab the same keys are notebook shortcuts in command mode ("a" inserts a cell above,
// "r" turns the cell into a raw cell and drops its output, i.e. the queue itself). So the listener
// runs first (capture phase on window), takes only keys aimed at the queue (focus inside it, on the
// cell or notebook that holds it, or on nothing as in Voila) and stops them there; keys aimed at
// other notebooks keep their Lab meaning.
function render({ model, el }) {
  el.classList.add("sw-review-keys");
  el.textContent = "Shortcuts: a approve \u00b7 r remove \u00b7 e escalate";
  const aimedHere = (t) => {
    if (!t || t === document.body || t === document.documentElement) return true;
    const queue = el.closest(".sw-review-queue") || el;
    return !!t.contains && (t.contains(queue) || queue.contains(t));
  };
  const onKey = (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
    if (!el.isConnected) return;
    const t = ev.target;
    const tag = (t && t.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (t && t.isContentEditable)) return;
    const key = (ev.key || "").toLowerCase();
    if ((key === "a" || key === "r" || key === "e") && aimedHere(t)) {
      ev.preventDefault();
      ev.stopPropagation();
      model.send({ key });
    }
  };
  window.addEventListener("keydown", onKey, true);
  return () => window.removeEventListener("keydown", onKey, true);
}
export default { render };
