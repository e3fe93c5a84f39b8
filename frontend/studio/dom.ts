// A tiny element builder: the studio renders with plain DOM calls, no framework.

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | number | boolean | null | undefined | EventListener>;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) {
      continue;
    }
    if (name.startsWith("on") && typeof value === "function") {
      element.addEventListener(name.slice(2), value);
    } else if (name === "value" && "value" in element) {
      (element as HTMLInputElement).value = String(value);
    } else if (name === "checked" && element instanceof HTMLInputElement) {
      element.checked = Boolean(value);
    } else {
      element.setAttribute(name, value === true ? "" : String(value));
    }
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) {
      element.append(child);
    }
  }
  return element;
}

let counter = 0;

/** A page-unique id for label/for and aria-describedby pairs. */
export function uid(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled control in a form row; ``path`` is the JSON path server errors name. */
export function row(label: string | Node, control: HTMLElement, path?: string, hint?: string): HTMLElement {
  if (!control.id) {
    control.id = uid("c");
  }
  if (path) {
    control.dataset.path = path;
  }
  const hintNode = hint ? h("p", { class: "hint", id: `${control.id}-hint` }, hint) : null;
  if (hintNode) {
    control.setAttribute("aria-describedby", hintNode.id);
  }
  return h("div", { class: "form-row" }, h("label", { for: control.id }, label), control, hintNode);
}

export function button(label: string, onClick: () => void, attributes: Attributes = {}): HTMLButtonElement {
  return h("button", { type: "button", ...attributes, onclick: () => onClick() }, label);
}

/** A dropdown of [value, label] pairs; a current value not among them is kept as its own option. */
export function choice(options: [string, string][], current: string, onChange: (value: string) => void): HTMLSelectElement {
  const known = options.some(([value]) => value === current);
  return h(
    "select",
    { onchange: (event: Event) => onChange((event.target as HTMLSelectElement).value) },
    ...(known ? [] : [h("option", { value: current, selected: true }, current || "Choose…")]),
    ...options.map(([value, label]) => h("option", { value, selected: value === current }, label)),
  );
}
