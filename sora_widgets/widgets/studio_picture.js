// "Start from a picture": a plain button over a hidden file input (ipywidgets' FileUpload always shows a
// counter, "Start from a picture (0)"). The chosen file goes to Python as one message with its bytes.
function render({ model, el }) {
  const button = document.createElement("button");
  button.className = "jupyter-button widget-button sw-picture-upload-button";
  button.textContent = model.get("description");
  button.title = model.get("tooltip");
  const input = document.createElement("input");
  input.type = "file";
  input.accept = model.get("accept");
  input.style.display = "none";
  button.addEventListener("click", () => {
    input.value = ""; // the same file may be chosen again
    input.click();
  });
  input.addEventListener("change", async () => {
    const file = input.files && input.files[0];
    if (!file) return;
    const buffer = await file.arrayBuffer();
    model.send({ event: "file", name: file.name, size: file.size }, undefined, [buffer]);
  });
  const sync = () => {
    button.disabled = model.get("disabled");
    button.textContent = model.get("description");
  };
  model.on("change:disabled", sync);
  model.on("change:description", sync);
  el.appendChild(button);
  el.appendChild(input);
}
export default { render };
