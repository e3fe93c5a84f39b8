// The Validations tab: rules checked before an item may leave the step, built with
// controls. Each type shows the inputs it needs; the field picker offers only fields
// the type can check, so the server's type checks rarely have anything to say.

import { configCard, configList, freeId } from "./config_list";
import type { TabContext } from "./context";
import { choice, h, row } from "./dom";
import { formulaEditor } from "./formula_editor";
import {
  DATE_TYPES,
  type Family,
  type FieldDefinition,
  type Json,
  type JsonObject,
  NUMERIC_TYPES,
  numberOrText,
  TEXT_TYPES,
} from "./model";

export const RULE_TYPES: Record<string, { label: string; keys: string[] }> = {
  field_required: { label: "Field is required", keys: ["field_id"] },
  field_min_value: { label: "Minimum value", keys: ["field_id", "min_value"] },
  field_max_value: { label: "Maximum value", keys: ["field_id", "max_value"] },
  field_pattern: { label: "Matches a pattern", keys: ["field_id", "pattern"] },
  field_comparison: {
    label: "Compare with another field or a value",
    keys: ["field_id", "operator", "compare_field_id", "compare_value"],
  },
  custom_expression: { label: "Custom expression", keys: ["expression", "field_id"] },
};
const COMMON_KEYS = ["id", "type", "error_message"];

/** Where a list of rules lives: the step's validations, or its entry rules in the metadata. */
export interface RuleScope {
  family: Family;
  /** The list's JSON path: ``validations`` or ``metadata.entry_validations``. */
  path: string;
}
const VALIDATIONS: RuleScope = { family: "validations", path: "validations" };
const OPERATORS = ["<", "<=", ">", ">=", "=", "!="];

/** The fields a rule type can check. */
export function fieldsFor(type: string, fields: FieldDefinition[]): FieldDefinition[] {
  if (type === "field_min_value" || type === "field_max_value") {
    return fields.filter((field) => NUMERIC_TYPES.has(field.field_type));
  }
  if (type === "field_pattern") {
    return fields.filter((field) => TEXT_TYPES.has(field.field_type));
  }
  return fields;
}

function kind(field: FieldDefinition | undefined): string {
  if (!field) {
    return "";
  }
  if (NUMERIC_TYPES.has(field.field_type)) {
    return "number";
  }
  return DATE_TYPES.has(field.field_type) ? "date" : field.field_type;
}

function ordered(field: FieldDefinition | undefined): boolean {
  return ["number", "date"].includes(kind(field));
}

function textInput(rule: JsonObject, key: string, ctx: TabContext, scope: RuleScope, convert: (text: string) => Json = (t) => t): HTMLInputElement {
  const value = rule[key];
  return h("input", {
    value: value === undefined || value === null ? "" : String(value),
    oninput: (event: Event) => {
      const converted = convert((event.target as HTMLInputElement).value);
      if (converted === null || converted === "") {
        delete rule[key];
      } else {
        rule[key] = converted;
      }
      ctx.changed(scope.family);
    },
  });
}

function fieldPicker(rule: JsonObject, key: string, choices: FieldDefinition[], ctx: TabContext, scope: RuleScope, optional = false): HTMLSelectElement {
  const options: [string, string][] = choices.map((field) => [field.name, `${field.label} (${field.field_type})`]);
  if (optional) {
    options.unshift(["", "No field"]);
  }
  return choice(options, typeof rule[key] === "string" ? (rule[key] as string) : "", (value) => {
    if (value) {
      rule[key] = value;
    } else {
      delete rule[key];
    }
    ctx.redraw(scope.family);
  });
}

function patternTry(rule: JsonObject): HTMLElement {
  const result = h("p", { class: "hint", "aria-live": "polite" });
  const sample = h("input", { placeholder: "a value to test" });
  const update = () => {
    const pattern = typeof rule.pattern === "string" ? rule.pattern : "";
    if (!sample.value) {
      result.textContent = "";
      return;
    }
    try {
      result.textContent = new RegExp(pattern, "u").test(sample.value) ? "✓ Matches." : "✗ Does not match.";
    } catch {
      result.textContent = "The browser cannot read this pattern; saving tells whether the server can.";
    }
  };
  sample.addEventListener("input", update);
  return h("div", { class: "try-value wide" }, row("Try a value", sample, undefined, "Checked in the browser as you type."), result);
}

function comparisonControls(rule: JsonObject, path: string, ctx: TabContext, scope: RuleScope): HTMLElement[] {
  const left = ctx.fields.find((field) => field.name === rule.field_id);
  const operators = ordered(left) || !left ? OPERATORS : ["=", "!="];
  const mode =
    typeof rule.compare_field_id === "string"
      ? "field"
      : rule.compare_value === "today" || rule.compare_value === "now"
        ? String(rule.compare_value)
        : "value";
  const modeSelect = choice(
    [
      ["field", "another field"],
      ["today", "today"],
      ["now", "now"],
      ["value", "a value"],
    ],
    mode,
    (value) => {
      delete rule.compare_field_id;
      delete rule.compare_value;
      if (value === "today" || value === "now") {
        rule.compare_value = value;
      }
      if (value === "field") {
        const first = ctx.fields.find((field) => field.name !== rule.field_id && kind(field) === kind(left));
        if (first) {
          rule.compare_field_id = first.name;
        }
      }
      ctx.redraw(scope.family);
    },
  );
  const controls = [
    row("Operator", choice(operators.map((op) => [op, op]), String(rule.operator ?? ""), (value) => {
      rule.operator = value;
      ctx.changed(scope.family);
    }), `${path}.operator`),
    row("Compare with", modeSelect),
  ];
  if (mode === "field") {
    const others = ctx.fields.filter((field) => field.name !== rule.field_id && (!left || kind(field) === kind(left)));
    controls.push(row("Other field", fieldPicker(rule, "compare_field_id", others, ctx, scope), `${path}.compare_field_id`));
  } else if (mode === "value") {
    controls.push(
      row("Value", textInput(rule, "compare_value", ctx, scope, numberOrText), `${path}.compare_value`, "A number or an ISO date (2026-03-31)."),
    );
  }
  return controls;
}

function typeControls(rule: JsonObject, path: string, ctx: TabContext, scope: RuleScope): HTMLElement[] {
  const type = String(rule.type);
  const pick = (optional = false) =>
    row(optional ? "Show the message at field (optional)" : "Field", fieldPicker(rule, "field_id", fieldsFor(type, ctx.fields), ctx, scope, optional), `${path}.field_id`);
  switch (type) {
    case "field_required":
      return [pick()];
    case "field_min_value":
      return [pick(), row("Minimum", textInput(rule, "min_value", ctx, scope, numberOrText), `${path}.min_value`)];
    case "field_max_value":
      return [pick(), row("Maximum", textInput(rule, "max_value", ctx, scope, numberOrText), `${path}.max_value`)];
    case "field_pattern": {
      const tryBox = patternTry(rule);
      const pattern = textInput(rule, "pattern", ctx, scope);
      pattern.classList.add("code");
      pattern.addEventListener("input", () => tryBox.querySelector("input")?.dispatchEvent(new Event("input")));
      return [pick(), row("Pattern (RE2 regular expression)", pattern, `${path}.pattern`), tryBox];
    }
    case "field_comparison":
      return [pick(), ...comparisonControls(rule, path, ctx, scope)];
    case "custom_expression": {
      const expression = formulaEditor({
        label: "Expression (must be true to leave the step)",
        value: typeof rule.expression === "string" ? rule.expression : "",
        path: `${path}.expression`,
        fields: ctx.fields,
        request: () => ({ context: "validation", stepId: ctx.stepId }),
        onChange: (text) => {
          rule.expression = text;
          ctx.changed(scope.family);
        },
      }).element;
      expression.classList.add("wide");
      return [expression, pick(true)];
    }
    default:
      return [h("p", { class: "muted" }, `A rule of type ${type}: edit it with Edit as JSON.`)];
  }
}

/** Rules whose id the studio made up and nobody has edited: it follows the type. */
const madeUpIds = new WeakSet<JsonObject>();

function changeType(rules: Json[], rule: JsonObject, type: string, ctx: TabContext): void {
  if (madeUpIds.has(rule)) {
    rule.id = freeId(rules.filter((other) => other !== rule), type);
  }
  const keep = new Set([...COMMON_KEYS, ...(RULE_TYPES[type]?.keys ?? [])]);
  for (const key of Object.keys(rule)) {
    if (!keep.has(key)) {
      delete rule[key];
    }
  }
  rule.type = type;
  if (typeof rule.field_id === "string" && !fieldsFor(type, ctx.fields).some((field) => field.name === rule.field_id)) {
    delete rule.field_id;
  }
  if (type === "field_comparison") {
    rule.operator ??= "<";
    rule.compare_value ??= "today";
  }
  if (type === "custom_expression") {
    rule.expression ??= "";
  }
}

function wide(element: HTMLElement): HTMLElement {
  element.classList.add("wide");
  return element;
}

function summary(rule: JsonObject, ctx: TabContext): string {
  const type = RULE_TYPES[String(rule.type)]?.label ?? String(rule.type);
  const field = ctx.fields.find((entry) => entry.name === rule.field_id);
  return field ? `${type}: ${field.label}` : type;
}

function ruleCard(rules: Json[], index: number, ctx: TabContext, scope: RuleScope): HTMLElement {
  const rule = rules[index] as JsonObject;
  const path = `${scope.path}[${index}]`;
  const title = `rule ${index + 1}`;
  const typeSelect = choice(
    Object.entries(RULE_TYPES).map(([value, info]) => [value, info.label]),
    String(rule.type ?? ""),
    (value) => {
      changeType(rules, rule, value, ctx);
      ctx.redraw(scope.family);
    },
  );
  const message = textInput(rule, "error_message", ctx, scope);
  const idInput = textInput(rule, "id", ctx, scope);
  idInput.classList.add("code");
  idInput.addEventListener("input", () => madeUpIds.delete(rule));
  return configCard({
    entries: rules,
    index,
    family: scope.family,
    listPath: scope.path,
    ctx,
    what: title,
    heading: h("span", {}, `Rule ${index + 1}`, h("span", { class: "muted" }, ` · ${summary(rule, ctx)}`)),
    draggable: true,
    className: "rule",
    controls: [
      row("Type", typeSelect, `${path}.type`),
      row("Rule id", idInput, `${path}.id`, "Unique in the step."),
      ...typeControls(rule, path, ctx, scope),
      wide(row("Message when the rule fails", message, `${path}.error_message`)),
    ],
  });
}

export interface RuleListText {
  hint: string;
  empty: string;
  listLabel: string;
  addLabel: string;
}

/** A list of rule cards: the Validations tab, and the entry rules on the Settings tab. */
export function ruleList(
  ctx: TabContext,
  scope: RuleScope,
  text: RuleListText,
  list?: { entries: Json[]; attach(entries: Json[]): void },
): HTMLElement {
  return configList({
    family: scope.family,
    entries: list?.entries,
    ctx,
    noun: "rules",
    ...text,
    card: (rules, index) => ruleCard(rules, index, ctx, scope),
    draggable: true,
    add: (rules) => {
      list?.attach(rules);
      const rule: JsonObject = { id: freeId(rules, "field_required"), type: "field_required" };
      madeUpIds.add(rule);
      return rule;
    },
  });
}

export function renderValidationsTab(ctx: TabContext): HTMLElement {
  return ruleList(ctx, VALIDATIONS, {
    hint: "Every rule must hold before an item may leave this step.",
    empty: "No rules yet.",
    listLabel: "Validation rules, checked in this order",
    addLabel: "Add rule",
  });
}
