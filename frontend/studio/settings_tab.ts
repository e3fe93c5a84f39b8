// The Settings tab: the step's name, description, target duration, colour, icon and whether
// entering it completes the item (metadata.terminal). The rest of the step's free metadata
// is edited with the tab's Edit as JSON.

import type { TabContext } from "./context";
import { button, choice, h, row } from "./dom";
import { isObject, numberOrText } from "./model";

/** The outcomes a terminal step may record (engine/lifecycle.py OUTCOMES). */
const OUTCOMES: [string, string][] = [
  ["won", "Won"],
  ["lost", "Lost"],
  ["done", "Done"],
  ["hired", "Hired"],
  ["rejected", "Rejected"],
  ["cancelled", "Cancelled"],
];

function terminalControl(ctx: TabContext): HTMLSelectElement {
  const metadata = isObject(ctx.draft.families.metadata) ? ctx.draft.families.metadata : {};
  const terminal = metadata.terminal;
  const current = isObject(terminal) && typeof terminal.outcome === "string" ? terminal.outcome : "";
  return choice([["", "No: the item stays open"], ...OUTCOMES], current, (outcome) => {
    const next = { ...metadata };
    if (outcome) {
      next.terminal = { outcome };
    } else {
      delete next.terminal;
    }
    ctx.draft.families.metadata = next;
    ctx.redraw("metadata");
  });
}

export function renderSettingsTab(ctx: TabContext): HTMLElement {
  const settings = ctx.draft.settings;
  const name = h("input", { value: settings.name, required: true, maxlength: 200 });
  name.addEventListener("input", () => {
    settings.name = name.value;
    ctx.changed("settings");
  });
  const description = h("textarea", { rows: 3, maxlength: 5000 });
  description.value = settings.description;
  description.addEventListener("input", () => {
    settings.description = description.value;
    ctx.changed("settings");
  });
  const target = h("input", {
    inputmode: "numeric",
    value: settings.target_duration_days === null ? "" : String(settings.target_duration_days),
  });
  target.addEventListener("input", () => {
    settings.target_duration_days = numberOrText(target.value);
    ctx.changed("settings");
  });
  const color = h("input", { type: "color", value: settings.color ?? "#2f6fde" });
  const noColor = h("input", { type: "checkbox", id: "step-no-color", checked: settings.color === null });
  color.addEventListener("input", () => {
    settings.color = color.value;
    noColor.checked = false;
    ctx.changed("settings");
  });
  noColor.addEventListener("change", () => {
    settings.color = noColor.checked ? null : color.value;
    ctx.changed("settings");
  });
  const icon = h("input", { value: settings.icon ?? "", maxlength: 64, placeholder: "for example 🤝 or handshake" });
  icon.addEventListener("input", () => {
    settings.icon = icon.value.trim() ? icon.value : null;
    ctx.changed("settings");
  });
  return h(
    "div",
    { class: "form-grid settings" },
    row("Step name", name, "name", "Unique in the template; move_to_step automations name the step by it."),
    row("Description", description, "description"),
    row("Target duration (days)", target, "target_duration_days", "Items staying longer are shown at risk. Leave empty for none."),
    h(
      "div",
      { class: "form-row" },
      row("Colour", color, "color"),
      h("label", { class: "toggle", for: noColor.id }, noColor, " No colour"),
    ),
    row("Icon", icon, "icon", "A short name or an emoji shown with the step."),
    row(
      "Completes the item with outcome",
      terminalControl(ctx),
      "metadata.terminal.outcome",
      "Entering this step completes the item with this outcome and cancels its reminders.",
    ),
    h("p", { class: "hint" }, "The step's other settings (its metadata, such as requires_approval) are edited with Edit as JSON.",
      button("Edit metadata as JSON", () => document.querySelector<HTMLButtonElement>("[data-json-toggle]")?.click(), { class: "link-button" })),
  );
}
