// The trigger of a notification (and later of an automation): when it fires, with the
// settings each trigger needs, and an optional condition.

import type { TabContext } from "./context";
import { choice, h, row } from "./dom";
import { conditionEditor } from "./formula_editor";
import { type Family, type Json, type JsonObject, numberOrText } from "./model";

export const TRIGGERS: Record<string, { label: string; keys: string[] }> = {
  on_enter: { label: "When an item enters the step", keys: [] },
  on_exit: { label: "When an item leaves the step", keys: [] },
  on_duration: { label: "After some days in the step", keys: ["duration_days", "repeat_every_days", "day_kind"] },
  at_risk: { label: "When an item is at risk", keys: ["threshold_days", "day_kind"] },
  on_field_change: { label: "When a field changes", keys: ["field_id", "from_value", "to_value"] },
};
const TRIGGER_KEYS = new Set(Object.values(TRIGGERS).flatMap((trigger) => trigger.keys));

/** A text input bound to ``rule[key]``; empty text removes the key. */
export function boundInput(rule: JsonObject, key: string, family: Family, ctx: TabContext, convert: (text: string) => Json = (t) => t): HTMLInputElement {
  const value = rule[key];
  const input = h("input", { value: value === undefined || value === null ? "" : String(value) });
  input.addEventListener("input", () => {
    const converted = convert(input.value);
    if (converted === null || converted === "") {
      delete rule[key];
    } else {
      rule[key] = converted;
    }
    ctx.changed(family);
  });
  return input;
}

function dayKind(rule: JsonObject, path: string, family: Family, ctx: TabContext): HTMLElement {
  const select = choice(
    [
      ["calendar", "calendar days"],
      ["business", "working days"],
    ],
    typeof rule.day_kind === "string" ? rule.day_kind : "calendar",
    (value) => {
      if (value === "calendar") {
        delete rule.day_kind;
      } else {
        rule.day_kind = value;
      }
      ctx.changed(family);
    },
  );
  return row("Count", select, `${path}.day_kind`);
}

export function triggerControls(rule: JsonObject, path: string, family: Family, ctx: TabContext): HTMLElement[] {
  const trigger = String(rule.trigger ?? "");
  const select = choice(
    Object.entries(TRIGGERS).map(([value, info]) => [value, info.label]),
    trigger,
    (value) => {
      const keep = new Set(TRIGGERS[value]?.keys ?? []);
      for (const key of TRIGGER_KEYS) {
        if (!keep.has(key)) {
          delete rule[key];
        }
      }
      rule.trigger = value;
      if (value === "on_duration") {
        rule.duration_days ??= 1;
      }
      ctx.redraw(family);
    },
  );
  const controls = [row("Trigger", select, `${path}.trigger`)];
  const days = (key: string) => boundInput(rule, key, family, ctx, numberOrText);
  if (trigger === "on_duration") {
    controls.push(
      row("After (days)", days("duration_days"), `${path}.duration_days`),
      row("Then every (days, optional)", days("repeat_every_days"), `${path}.repeat_every_days`),
      dayKind(rule, path, family, ctx),
    );
  } else if (trigger === "at_risk") {
    controls.push(
      row("Days past the target", days("threshold_days"), `${path}.threshold_days`, "0: as soon as the item is at risk."),
      dayKind(rule, path, family, ctx),
    );
  } else if (trigger === "on_field_change") {
    const field = choice(
      ctx.fields.map((entry) => [entry.name, `${entry.label} (${entry.field_type})`]),
      typeof rule.field_id === "string" ? rule.field_id : "",
      (value) => {
        rule.field_id = value;
        ctx.changed(family);
      },
    );
    controls.push(
      row("Field", field, `${path}.field_id`),
      row("From (optional)", boundInput(rule, "from_value", family, ctx), `${path}.from_value`),
      row("To (optional)", boundInput(rule, "to_value", family, ctx), `${path}.to_value`),
    );
  }
  const conditionRow = conditionEditor({
    label: "Only while (expression, optional)",
    holder: rule,
    key: "condition",
    path: `${path}.condition`,
    stepId: ctx.stepId,
    fields: ctx.fields,
    changed: () => ctx.changed(family),
  });
  conditionRow.classList.add("wide");
  controls.push(conditionRow);
  return controls;
}
