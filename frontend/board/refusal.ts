// The dialog a refused move opens: every violation in words, and a link to the item's
// page, where the same refusal is shown beside the fields to fix.

export interface Refusal {
  itemName: string;
  stepName: string;
  itemUrl: string;
  summary: string;
  messages: string[];
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, attributes: Record<string, string> = {}): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) {
    node.textContent = text;
  }
  for (const [name, value] of Object.entries(attributes)) {
    node.setAttribute(name, value);
  }
  return node;
}

/** Opens the refusal dialog (modal); focus returns to ``returnFocus`` when it closes. */
export function showRefusal(refusal: Refusal, returnFocus: HTMLElement | null): HTMLDialogElement {
  document.getElementById("move-refused")?.remove();
  const dialog = element("dialog", undefined, {
    id: "move-refused",
    class: "refusal-dialog",
    "aria-labelledby": "move-refused-title",
    "aria-describedby": "move-refused-summary",
  });
  const title = element("h2", `${refusal.itemName} cannot move to ${refusal.stepName}`, { id: "move-refused-title" });
  const summary = element("p", refusal.summary, { id: "move-refused-summary" });
  const list = element("ul", undefined, { class: "violations" });
  for (const message of refusal.messages) {
    list.append(element("li", message));
  }
  const fix = element("a", `Open ${refusal.itemName} to fix this`, { href: refusal.itemUrl, class: "button primary" });
  const close = element("button", "Close", { type: "button" });
  close.addEventListener("click", () => dialog.close());
  const actions = element("p", undefined, { class: "actions" });
  actions.append(fix, close);
  dialog.append(title, summary, list, actions);
  dialog.addEventListener("close", () => {
    dialog.remove();
    returnFocus?.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  fix.focus();
  return dialog;
}
