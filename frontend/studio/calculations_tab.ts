// The Calculations tab: fields the step computes from others. Each type shows the inputs
// it needs; the pickers offer only fields of the kind the type reads or writes.

import type { TabContext } from "./context";
import { configCard, configList, freeId } from "./config_list";
import { choice, h, row, uid } from "./dom";
import { formulaEditor } from "./formula_editor";
import { sampleValues } from "./formula_try";
import { DATE_TYPES, type FieldDefinition, type Json, type JsonObject, NUMERIC_TYPES } from "./model";

export const CALCULATION_TYPES: Record<string, { label: string; keys: string[] }> = {
  sum: { label: "Sum of fields", keys: ["field_ids"] },
  average: { label: "Average of fields", keys: ["field_ids"] },
  percentage: { label: "Percentage", keys: ["numerator_field_id", "denominator_field_id"] },
  date_diff: { label: "Days between two dates", keys: ["start_field_id", "end_field_id", "day_kind"] },
  custom: { label: "Formula", keys: ["expression"] },
};
const COMMON_KEYS = ["id", "type", "name", "output_field_id"];

function numeric(fields: FieldDefinition[]): FieldDefinition[] {
  return fields.filter((field) => NUMERIC_TYPES.has(field.field_type));
}

function fieldChoice(calc: JsonObject, key: string, fields: FieldDefinition[], ctx: TabContext): HTMLSelectElement {
  return choice(
    fields.map((field) => [field.name, `${field.label} (${field.field_type})`]),
    typeof calc[key] === "string" ? (calc[key] as string) : "",
    (value) => {
      calc[key] = value;
      ctx.changed("calculations");
    },
  );
}

function fieldSet(calc: JsonObject, path: string, ctx: TabContext): HTMLElement {
  const chosen = new Set(Array.isArray(calc.field_ids) ? calc.field_ids.map(String) : []);
  const legend = uid("legend");
  return h(
    "fieldset",
    { class: "options wide", "data-path": `${path}.field_ids`, "aria-labelledby": legend },
    h("legend", { id: legend }, "Fields"),
    ...numeric(ctx.fields).map((field) =>
      h(
        "label",
        {},
        h("input", {
          type: "checkbox",
          checked: chosen.has(field.name),
          onchange: (event: Event) => {
            const ids = Array.isArray(calc.field_ids) ? (calc.field_ids as Json[]) : [];
            calc.field_ids = (event.target as HTMLInputElement).checked
              ? [...ids, field.name]
              : ids.filter((name) => name !== field.name);
            ctx.changed("calculations");
          },
        }),
        ` ${field.label}`,
      ),
    ),
  );
}

function typeControls(calc: JsonObject, path: string, ctx: TabContext): HTMLElement[] {
  const dates = ctx.fields.filter((field) => DATE_TYPES.has(field.field_type));
  switch (String(calc.type)) {
    case "sum":
    case "average":
      return [fieldSet(calc, path, ctx)];
    case "percentage":
      return [
        row("Numerator", fieldChoice(calc, "numerator_field_id", numeric(ctx.fields), ctx), `${path}.numerator_field_id`),
        row("Denominator", fieldChoice(calc, "denominator_field_id", numeric(ctx.fields), ctx), `${path}.denominator_field_id`),
      ];
    case "date_diff": {
      const kind = choice(
        [
          ["calendar", "calendar days"],
          ["business", "working days"],
        ],
        typeof calc.day_kind === "string" ? calc.day_kind : "calendar",
        (value) => {
          calc.day_kind = value;
          ctx.changed("calculations");
        },
      );
      return [
        row("From", fieldChoice(calc, "start_field_id", dates, ctx), `${path}.start_field_id`),
        row("To", fieldChoice(calc, "end_field_id", dates, ctx), `${path}.end_field_id`),
        row("Count", kind, `${path}.day_kind`),
      ];
    }
    default:
      return [h("p", { class: "muted" }, `A calculation of type ${String(calc.type)}: edit it with Edit as JSON.`)];
  }
}

/** The output picker's options, narrowed to ``allowed`` names (all fields when null). */
function offerOutputs(select: HTMLSelectElement, fields: FieldDefinition[], allowed: string[] | null, current: string): void {
  const offered = allowed ? fields.filter((field) => allowed.includes(field.name)) : fields;
  const fresh = choice(offered.map((field) => [field.name, `${field.label} (${field.field_type})`]), current, () => undefined);
  select.replaceChildren(...Array.from(fresh.children));
  select.value = current;
}

/** The formula, its sample-values form, and an output picker that follows the formula's type. */
function customControls(calc: JsonObject, path: string, output: HTMLSelectElement, ctx: TabContext): HTMLElement[] {
  const tryIt = sampleValues({ stepId: ctx.stepId, fields: ctx.fields, calculation: () => calc });
  const editor = formulaEditor({
    label: "Formula",
    value: typeof calc.expression === "string" ? calc.expression : "",
    path: `${path}.expression`,
    hint: "For example units * minutes_per_unit / 60. Ctrl+Space lists fields and functions.",
    fields: ctx.fields,
    request: () => ({
      context: "calculation",
      stepId: ctx.stepId,
      outputFieldId: typeof calc.output_field_id === "string" && calc.output_field_id ? calc.output_field_id : undefined,
    }),
    onChange: (text) => {
      calc.expression = text;
      ctx.changed("calculations");
    },
    onAnswer: (answer) => {
      tryIt.follow(answer);
      if (answer?.result_type) {
        offerOutputs(output, ctx.fields, answer.output_fields, String(calc.output_field_id ?? ""));
      }
    },
  });
  editor.element.classList.add("wide");
  output.addEventListener("change", () => editor.recheck());
  return [editor.element, tryIt.element];
}

function changeType(calc: JsonObject, type: string): void {
  const keep = new Set([...COMMON_KEYS, ...(CALCULATION_TYPES[type]?.keys ?? [])]);
  for (const key of Object.keys(calc)) {
    if (!keep.has(key)) {
      delete calc[key];
    }
  }
  calc.type = type;
  if (type === "sum" || type === "average") {
    calc.field_ids ??= [];
  }
  if (type === "custom") {
    calc.expression ??= "";
  }
}

function calculationCard(calcs: Json[], index: number, ctx: TabContext): HTMLElement {
  const calc = calcs[index] as JsonObject;
  const path = `calculations[${index}]`;
  const title = `calculation ${index + 1}`;
  const text = (key: string) => {
    const input = h("input", { value: typeof calc[key] === "string" ? (calc[key] as string) : "" });
    input.addEventListener("input", () => {
      if (input.value || key === "id") {
        calc[key] = input.value;
      } else {
        delete calc[key];
      }
      ctx.changed("calculations");
    });
    return input;
  };
  const type = choice(
    Object.entries(CALCULATION_TYPES).map(([value, info]) => [value, info.label]),
    String(calc.type ?? ""),
    (value) => {
      changeType(calc, value);
      ctx.redraw("calculations");
    },
  );
  // A formula may write any kind of field (its value must suit it); the others write numbers.
  const custom = String(calc.type) === "custom";
  const output = fieldChoice(calc, "output_field_id", custom ? ctx.fields : numeric(ctx.fields), ctx);
  return configCard({
    entries: calcs,
    index,
    family: "calculations",
    ctx,
    what: title,
    heading: `Calculation ${index + 1}`,
    controls: [
      row("Type", type, `${path}.type`),
      row("Calculation id", text("id"), `${path}.id`, "Unique in the step."),
      row("Name (optional)", text("name"), `${path}.name`),
      row("Result goes to", output, `${path}.output_field_id`, custom ? "The fields that can hold the formula's result." : "A numeric field."),
      ...(custom ? customControls(calc, path, output, ctx) : typeControls(calc, path, ctx)),
    ],
  });
}

export function renderCalculationsTab(ctx: TabContext): HTMLElement {
  return configList({
    family: "calculations",
    ctx,
    noun: "calculations",
    hint: "Each calculation writes its result into a field whenever the values it reads change.",
    empty: "No calculations yet.",
    listLabel: "Calculations, computed in this order",
    card: (entries, index) => calculationCard(entries, index, ctx),
    addLabel: "Add calculation",
    add: (entries) => ({ id: freeId(entries, "calculation"), type: "sum", field_ids: [] }),
  });
}
