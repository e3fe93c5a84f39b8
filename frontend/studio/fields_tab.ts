// The Fields tab: which tenant fields the step shows and requires, in item-form order,
// with optional visible_when / required_when expressions.

import type { TabContext } from "./context";
import { fieldLabel } from "./context";
import { button, h, row, uid } from "./dom";
import { conditionEditor } from "./formula_editor";
import { isObject, type Json, type JsonObject } from "./model";
import { dragHandle, moveButtons, moveItem, sortable } from "./sortable_list";

function checkbox(label: string, checked: boolean, path: string, onChange: (value: boolean) => void): HTMLElement {
  const id = uid("toggle");
  return h(
    "label",
    { class: "toggle", for: id },
    h("input", {
      type: "checkbox",
      id,
      checked,
      "data-path": path,
      onchange: (event: Event) => onChange((event.target as HTMLInputElement).checked),
    }),
    ` ${label}`,
  );
}

function condition(label: Node, entry: JsonObject, key: string, path: string, ctx: TabContext): HTMLElement {
  return conditionEditor({ label, holder: entry, key, path, stepId: ctx.stepId, fields: ctx.fields, changed: () => ctx.changed("field_configs") });
}

/** A label that names its field for screen readers, where the row's heading shows it. */
function withContext(label: string, name: string): Node {
  const wrapper = document.createDocumentFragment();
  wrapper.append(label, h("span", { class: "visually-hidden" }, ` (${name})`));
  return wrapper;
}

function fieldRow(entries: Json[], index: number, ctx: TabContext): HTMLElement {
  const entry = entries[index] as JsonObject;
  const path = `field_configs[${index}]`;
  const name = fieldLabel(ctx.fields, entry.field_definition_id);
  const move = (from: number, to: number) => {
    moveItem(entries, from, to);
    ctx.redraw("field_configs");
  };
  return h(
    "li",
    { class: "config-row", "data-path": path, "data-field": String(entry.field_definition_id) },
    h(
      "div",
      { class: "row-head" },
      dragHandle(name),
      h("strong", { "data-path": `${path}.field_definition_id` }, name),
      moveButtons(name, index, entries.length, move),
      button("Remove", () => {
        entries.splice(index, 1);
        ctx.redraw("field_configs");
      }, { "aria-label": `Remove ${name}`, class: "link-button" }),
    ),
    h(
      "div",
      { class: "toggles" },
      checkbox("Visible", entry.is_visible !== false, `${path}.is_visible`, (value) => {
        entry.is_visible = value;
        ctx.changed("field_configs");
      }),
      checkbox("Required", entry.is_required === true, `${path}.is_required`, (value) => {
        entry.is_required = value;
        ctx.changed("field_configs");
      }),
    ),
    h(
      "div",
      { class: "form-grid" },
      condition(withContext("Visible when", name), entry, "visible_when", `${path}.visible_when`, ctx),
      condition(withContext("Required when", name), entry, "required_when", `${path}.required_when`, ctx),
    ),
  );
}

export function renderFieldsTab(ctx: TabContext): HTMLElement {
  const entries = ctx.draft.families.field_configs;
  if (!Array.isArray(entries) || !entries.every(isObject)) {
    return h("p", { class: "alert" }, "This configuration is not a list of fields; correct it with Edit as JSON.");
  }
  const used = new Set(entries.map((entry) => (entry as JsonObject).field_definition_id));
  const list = h(
    "ol",
    { class: "config-list", "aria-label": "Fields at this step, in form order" },
    ...entries.map((_, index) => fieldRow(entries, index, ctx)),
  );
  sortable(list, (from, to) => {
    moveItem(entries, from, to);
    ctx.redraw("field_configs");
  });
  const unused = ctx.fields.filter((field) => !used.has(field.name));
  const picker = h(
    "select",
    { id: uid("add-field") },
    h("option", { value: "" }, "Choose a field…"),
    ...unused.map((field) => h("option", { value: field.name }, `${field.label} (${field.name}, ${field.field_type})`)),
  );
  const add = button("Add field", () => {
    if (!picker.value) {
      picker.focus();
      return;
    }
    entries.push({ field_definition_id: picker.value, is_visible: true, is_required: false });
    ctx.redraw("field_configs");
  });
  return h(
    "div",
    {},
    h(
      "p",
      { class: "hint" },
      "The item form shows these fields in this order. A field not listed is not shown at this step. ",
      "Expressions (for example ",
      h("code", {}, "deal_value > 10000"),
      ") make a field visible or required only while they are true.",
    ),
    entries.length ? list : h("p", { class: "muted" }, "No fields are shown at this step yet."),
    unused.length
      ? h("div", { class: "add-row" }, row("Field to add", picker), add)
      : h("p", { class: "muted" }, "Every field of your organisation is listed."),
  );
}
