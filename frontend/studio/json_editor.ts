// "Edit as JSON": every tab's configuration as text. Text that parses replaces the
// draft at once (so the controls show it when you switch back); text that does not
// is kept as typed and said so, and saving waits until it parses.

import { h, uid } from "./dom";
import type { Json } from "./model";

export function renderJsonEditor(options: {
  label: string;
  value: Json;
  pendingText: string | undefined;
  path: string;
  onText(text: string, parsed: { ok: true; value: Json } | { ok: false; error: string }): void;
}): HTMLElement {
  const id = uid("json");
  const text = options.pendingText ?? JSON.stringify(options.value, null, 2);
  const editor = h("textarea", {
    id,
    class: "code json-editor",
    rows: Math.min(24, Math.max(6, text.split("\n").length + 1)),
    spellcheck: "false",
    "data-path": options.path,
    "aria-describedby": `${id}-syntax`,
  });
  editor.value = text;
  const syntax = h("p", { id: `${id}-syntax`, class: "hint json-state", "aria-live": "polite" });
  const check = () => {
    try {
      const value = JSON.parse(editor.value) as Json;
      syntax.textContent = "";
      syntax.classList.remove("field-error");
      options.onText(editor.value, { ok: true, value });
    } catch (error) {
      const message = `Not valid JSON yet: ${(error as Error).message}`;
      syntax.textContent = message;
      syntax.classList.add("field-error");
      options.onText(editor.value, { ok: false, error: message });
    }
  };
  editor.addEventListener("input", check);
  if (options.pendingText !== undefined) {
    queueMicrotask(check);
  }
  return h("div", { class: "form-row json-box" }, h("label", { for: id }, options.label), editor, syntax);
}
