// The step list: select a step, reorder by drag or with the buttons, add, duplicate, delete.

import { h, row } from "./dom";
import { type IconTable, iconSymbol } from "./icons";
import type { StepOut } from "./model";
import { dragHandle, moveButtons, sortable } from "./sortable_list";

export interface StepListActions {
  select(id: string): void;
  move(from: number, to: number): void;
  add(name: string): void;
  unsaved(id: string): boolean;
  icons: IconTable;
  /** A running pipeline's steps: their order and set follow the template. */
  readOnly?: boolean;
}

function stepEntry(steps: StepOut[], index: number, selected: string | null, actions: StepListActions): HTMLElement {
  const step = steps[index]!;
  const days = step.target_duration_days;
  const current = step.id === selected;
  const symbol = iconSymbol(actions.icons, step.icon);
  return h(
    "li",
    { class: current ? "step-entry selected" : "step-entry", "data-step": step.id },
    actions.readOnly ? null : dragHandle(step.name),
    h("span", { class: "swatch", style: step.color ? `background:${step.color}` : null, "aria-hidden": "true" }),
    h(
      "button",
      {
        type: "button",
        class: "step-select",
        "aria-current": current ? "true" : null,
        onclick: () => actions.select(step.id),
      },
      symbol ? h("span", { class: "step-icon", "aria-hidden": "true" }, symbol) : null,
      h("span", { class: "step-name" }, `${index + 1}. ${step.name}`),
      h("span", { class: "muted step-days" }, days === null ? "no target" : `${days} day${days === 1 ? "" : "s"}`),
      actions.unsaved(step.id) ? h("span", { class: "unsaved-mark" }, " • unsaved") : null,
    ),
    actions.readOnly ? null : moveButtons(step.name, index, steps.length, (from, to) => actions.move(from, to)),
  );
}

export function renderStepList(steps: StepOut[], selected: string | null, actions: StepListActions): HTMLElement {
  const list = h("ol", { class: "step-list", "aria-label": "Steps in order" }, ...steps.map((_, i) => stepEntry(steps, i, selected, actions)));
  if (actions.readOnly) {
    return h(
      "section",
      { class: "card studio-steps", "aria-labelledby": "studio-steps-heading" },
      h("h2", { id: "studio-steps-heading" }, "Steps"),
      list,
      h("p", { class: "hint" }, "The steps and their order follow the template."),
    );
  }
  sortable(list, (from, to) => actions.move(from, to));
  const name = h("input", { maxlength: 200, autocomplete: "off" });
  const form = h(
    "form",
    {
      class: "add-row",
      novalidate: true,
      "data-path-scope": "add",
      onsubmit: (event: Event) => {
        event.preventDefault();
        actions.add(name.value);
      },
    },
    row("New step name", name, "name"),
    h("button", { type: "submit" }, "Add step"),
  );
  return h(
    "section",
    { class: "card studio-steps", "aria-labelledby": "studio-steps-heading" },
    h("h2", { id: "studio-steps-heading" }, "Steps"),
    steps.length ? list : h("p", { class: "muted" }, "This template has no steps yet."),
    form,
  );
}
