// The shape every list tab shares: a card per entry (heading, ↑ ↓, Delete or Remove, its
// controls) in an ordered list, an "Add …" button, and a notice when the JSON is not a
// list of objects (then only Edit as JSON can correct it).

import type { TabContext } from "./context";
import { button, h } from "./dom";
import { type Family, isObject, type Json, type JsonObject } from "./model";
import { dragHandle, moveButtons, moveItem, sortable } from "./sortable_list";

export interface CardOptions {
  entries: Json[];
  index: number;
  family: Family;
  /** The list's JSON path when it is not the family itself (``metadata.entry_validations``). */
  listPath?: string;
  ctx: TabContext;
  /** How buttons name the entry: "rule 2". */
  what: string;
  heading: Node | string;
  /** Controls shown in the heading row, before the move buttons. */
  headExtra?: Node[];
  controls: HTMLElement[];
  removeLabel?: string;
  draggable?: boolean;
  className?: string;
}

export function configCard(options: CardOptions): HTMLElement {
  const { entries, index, family, ctx, what } = options;
  const removeLabel = options.removeLabel ?? "Delete";
  return h(
    "li",
    { class: `config-row${options.className ? ` ${options.className}` : ""}`, "data-path": `${options.listPath ?? family}[${index}]` },
    h(
      "div",
      { class: "row-head" },
      options.draggable ? dragHandle(what) : null,
      h("strong", {}, options.heading),
      ...(options.headExtra ?? []),
      moveButtons(what, index, entries.length, (from, to) => {
        moveItem(entries, from, to);
        ctx.redraw(family);
      }),
      button(removeLabel, () => {
        entries.splice(index, 1);
        ctx.redraw(family);
      }, { "aria-label": `${removeLabel} ${what}`, class: "link-button" }),
    ),
    h("div", { class: "form-grid" }, ...options.controls),
  );
}

export interface ListOptions {
  family: Family;
  /** The entries when they are not the family itself (a list inside the metadata). */
  entries?: Json[];
  ctx: TabContext;
  /** "rules", "calculations": for the notice about JSON that is not a list. */
  noun: string;
  hint: string;
  empty: string;
  listLabel: string;
  card(entries: Json[], index: number): HTMLElement;
  addLabel: string;
  add(entries: Json[]): JsonObject;
  draggable?: boolean;
}

export function configList(options: ListOptions): HTMLElement {
  const { family, ctx } = options;
  const entries = options.entries ?? ctx.draft.families[family];
  if (!Array.isArray(entries) || !entries.every(isObject)) {
    return h("p", { class: "alert" }, `This configuration is not a list of ${options.noun}; correct it with Edit as JSON.`);
  }
  const list = h(
    "ol",
    { class: "config-list", "aria-label": options.listLabel },
    ...entries.map((_, index) => options.card(entries, index)),
  );
  if (options.draggable) {
    sortable(list, (from, to) => {
      moveItem(entries, from, to);
      ctx.redraw(family);
    });
  }
  return h(
    "div",
    {},
    h("p", { class: "hint" }, options.hint),
    entries.length ? list : h("p", { class: "muted" }, options.empty),
    button(options.addLabel, () => {
      entries.push(options.add(entries));
      ctx.redraw(family);
    }),
  );
}

/** ``prefix_1``, ``prefix_2``…: the first id no entry has. */
export function freeId(entries: Json[], prefix: string): string {
  const taken = new Set(entries.filter(isObject).map((entry) => entry.id));
  for (let n = 1; ; n += 1) {
    if (!taken.has(`${prefix}_${n}`)) {
      return `${prefix}_${n}`;
    }
  }
}
