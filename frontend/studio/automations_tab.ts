// The Automations tab: what the step does by itself when its trigger fires: call a
// webhook, set a field, send a notification, move or assign the item, create an item.

import { assigneeChoices, STRATEGIES } from "./assignments_tab";
import { automationRuns } from "./automation_runs";
import type { TabContext } from "./context";
import { configCard, configList, freeId } from "./config_list";
import { button, choice, h, row, uid } from "./dom";
import { formulaEditor } from "./formula_editor";
import { messageControls, recipientControls } from "./message_controls";
import { isObject, type Json, type JsonObject } from "./model";
import { boundInput, triggerControls } from "./trigger_controls";
import { webhookTest } from "./webhook_test";

export const ACTIONS: Record<string, { label: string; start: () => JsonObject }> = {
  webhook: { label: "Call a webhook", start: () => ({ type: "webhook", target: "" }) },
  update_field: { label: "Set a field", start: () => ({ type: "update_field", field_id: "" }) },
  notify: { label: "Send a notification", start: () => ({ type: "notify", recipients: [{ type: "owner" }] }) },
  move_to_step: { label: "Move the item to a step", start: () => ({ type: "move_to_step", step: "" }) },
  assign: { label: "Assign the item", start: () => ({ type: "assign", assignment: { type: "user", id: "" } }) },
  create_item: { label: "Create an item in another pipeline", start: () => ({ type: "create_item", pipeline_instance_id: "" }) },
};

/** A JSON value edited as text inside the controls (webhook data, a field mapping). */
function jsonBox(holder: JsonObject, key: string, path: string, label: string, ctx: TabContext): HTMLElement {
  const box = h("textarea", { class: "code", rows: 3, spellcheck: "false" });
  box.value = holder[key] === undefined ? "" : JSON.stringify(holder[key], null, 2);
  const state = h("p", { class: "hint json-state", "aria-live": "polite" });
  box.addEventListener("input", () => {
    if (!box.value.trim()) {
      delete holder[key];
      state.textContent = "";
      ctx.changed("automations");
      return;
    }
    try {
      holder[key] = JSON.parse(box.value) as Json;
      state.textContent = "";
      ctx.changed("automations");
    } catch (error) {
      state.textContent = `Not valid JSON yet (not taken): ${(error as Error).message}`;
    }
  });
  const wrapper = row(label, box, path);
  wrapper.append(state);
  wrapper.classList.add("wide");
  return wrapper;
}

/** Whether ``value`` is a flat map of texts, which the mapping rows can edit. */
function isTextMap(value: Json | undefined): value is { [key: string]: string } {
  return value === undefined || (isObject(value) && Object.values(value).every((entry) => typeof entry === "string"));
}

/** The rows being edited per map, so a row whose name is not typed yet survives a redraw. */
const rowsByHolder = new WeakMap<JsonObject, Map<string, [string, string][]>>();

function rowsOf(holder: JsonObject, key: string, stored: { [key: string]: string } | undefined): [string, string][] {
  let maps = rowsByHolder.get(holder);
  if (!maps) {
    maps = new Map();
    rowsByHolder.set(holder, maps);
  }
  let pairs = maps.get(key);
  if (!pairs) {
    pairs = Object.entries(stored ?? {});
    maps.set(key, pairs);
  }
  return pairs;
}

/** A map of names to text templates (webhook data, a field mapping) as rows of two inputs;
 * anything else the map may hold (numbers, nested objects) is edited as JSON. */
function mappingRows(holder: JsonObject, key: string, path: string, labels: { legend: string; name: string; value: string }, ctx: TabContext): HTMLElement {
  const stored = holder[key];
  if (!isTextMap(stored)) {
    return jsonBox(holder, key, path, `${labels.legend} (JSON)`, ctx);
  }
  const pairs = rowsOf(holder, key, stored);
  const write = () => {
    const named = pairs.filter(([name]) => name.trim());
    if (named.length) {
      holder[key] = Object.fromEntries(named.map(([name, value]) => [name.trim(), value]));
    } else {
      delete holder[key];
    }
  };
  const legend = uid("legend");
  const rows = pairs.map((pair, index) => {
    const name = h("input", { value: pair[0], class: "code", spellcheck: "false" });
    name.addEventListener("input", () => {
      pair[0] = name.value;
      write();
      ctx.changed("automations");
    });
    const value = h("input", { value: pair[1] });
    value.addEventListener("input", () => {
      pair[1] = value.value;
      write();
      ctx.changed("automations");
    });
    return h(
      "div",
      { class: "add-row mapping-row", "data-path": `${path}.${pair[0]}` },
      row(`${labels.name} ${index + 1}`, name),
      row(`${labels.value} ${index + 1}`, value),
      button("Remove", () => {
        pairs.splice(index, 1);
        write();
        ctx.redraw("automations");
      }, { class: "link-button", "aria-label": `Remove ${labels.name.toLowerCase()} ${index + 1}` }),
    );
  });
  return h(
    "fieldset",
    { class: "options wide mapping", "data-path": path, "aria-labelledby": legend },
    h("legend", { id: legend }, labels.legend),
    ...rows,
    button(`Add ${labels.name.toLowerCase()}`, () => {
      pairs.push(["", ""]);
      ctx.redraw("automations");
    }),
  );
}

function updateFieldControls(action: JsonObject, at: string, ctx: TabContext): HTMLElement[] {
  const field = choice(ctx.fields.map((entry) => [entry.name, `${entry.label} (${entry.field_type})`]), String(action.field_id ?? ""), (value) => {
    action.field_id = value;
    ctx.changed("automations");
  });
  const byExpression = typeof action.expression === "string";
  const mode = choice(
    [
      ["value", "a value"],
      ["expression", "the result of an expression"],
    ],
    byExpression ? "expression" : "value",
    (value) => {
      delete action.value;
      delete action.expression;
      if (value === "expression") {
        action.expression = "";
      }
      ctx.redraw("automations");
    },
  );
  const formula = byExpression
    ? formulaEditor({
        label: "Expression",
        value: String(action.expression ?? ""),
        path: `${at}.expression`,
        fields: ctx.fields,
        singleLine: true,
        // Checked like a calculation writing the chosen field: its result must suit it.
        request: () => ({ context: "calculation", stepId: ctx.stepId, outputFieldId: typeof action.field_id === "string" && action.field_id ? action.field_id : undefined }),
        onChange: (text) => {
          action.expression = text;
          ctx.changed("automations");
        },
      })
    : null;
  if (formula) {
    field.addEventListener("change", () => formula.recheck());
  }
  const value = formula?.element ?? row("Value", boundInput(action, "value", "automations", ctx), `${at}.value`, "Text; {{item.name}} and {{field.<name>}} are filled in.");
  return [row("Field", field, `${at}.field_id`), row("Set it to", mode), value];
}

function assignControls(action: JsonObject, at: string, ctx: TabContext): HTMLElement[] {
  const assignment = isObject(action.assignment) ? action.assignment : (action.assignment = { type: "user", id: "" });
  const type = String(assignment.type ?? "user");
  const strategy = choice(Object.entries(STRATEGIES).map(([value, info]) => [value, info.label]), type, (value) => {
    assignment.type = value;
    assignment.id = assigneeChoices(ctx, value)[0]?.[0] ?? "";
    ctx.redraw("automations");
  });
  const who = choice(assigneeChoices(ctx, type), String(assignment.id ?? ""), (value) => {
    assignment.id = value;
    ctx.changed("automations");
  });
  const mode = choice(
    [
      ["replace", "instead of the current assignees"],
      ["add", "in addition to them"],
      ["remove", "remove them from the item"],
    ],
    String(action.mode ?? "replace"),
    (value) => {
      action.mode = value;
      ctx.changed("automations");
    },
  );
  return [row("Assign to", strategy, `${at}.assignment.type`), row("Who", who, `${at}.assignment.id`), row("How", mode, `${at}.mode`)];
}

function actionControls(rule: JsonObject, path: string, ctx: TabContext): HTMLElement[] {
  const at = `${path}.action`;
  const action = isObject(rule.action) ? rule.action : (rule.action = ACTIONS.webhook!.start());
  const type = String(action.type ?? "");
  const typeSelect = choice(
    Object.entries(ACTIONS).map(([value, info]) => [value, info.label]),
    type,
    (value) => {
      rule.action = ACTIONS[value]!.start();
      ctx.redraw("automations");
    },
  );
  const controls = [row("Action", typeSelect, `${at}.type`)];
  switch (type) {
    case "webhook": {
      const url = boundInput(action, "target", "automations", ctx);
      url.type = "url";
      url.placeholder = "https://…";
      controls.push(
        row("URL", url, `${at}.target`),
        mappingRows(action, "data", `${at}.data`, { legend: "Data sent ({{item.id}} and {{field.<name>}} are filled in)", name: "Key", value: "Value" }, ctx),
        webhookTest(rule),
      );
      break;
    }
    case "update_field":
      controls.push(...updateFieldControls(action, at, ctx));
      break;
    case "notify":
      controls.push(recipientControls(action, at, "automations", ctx), ...messageControls(action, at, "automations", ctx));
      break;
    case "move_to_step":
      controls.push(
        row("Step", choice(ctx.stepNames.map((name) => [name, name]), String(action.step ?? ""), (value) => {
          action.step = value;
          ctx.changed("automations");
        }), `${at}.step`),
      );
      break;
    case "assign":
      controls.push(...assignControls(action, at, ctx));
      break;
    case "create_item":
      controls.push(
        row("Pipeline (name or id)", boundInput(action, "pipeline_instance_id", "automations", ctx), `${at}.pipeline_instance_id`),
        row("Item name", boundInput(action, "name", "automations", ctx), `${at}.name`, "Default: {{item.name}}."),
        row("Start at step (optional)", boundInput(action, "step", "automations", ctx), `${at}.step`),
        mappingRows(action, "field_mapping", `${at}.field_mapping`, { legend: "Fields of the new item (from templates such as {{field.<name>}})", name: "Field", value: "Template" }, ctx),
      );
      break;
    default:
      controls.push(h("p", { class: "muted" }, `An action of type ${type}: edit it with Edit as JSON.`));
  }
  return controls;
}

function automationCard(rules: Json[], index: number, ctx: TabContext): HTMLElement {
  const rule = rules[index] as JsonObject;
  const path = `automations[${index}]`;
  const title = `automation ${index + 1}`;
  const id = boundInput(rule, "id", "automations", ctx);
  id.classList.add("code");
  const enabled = h("input", { type: "checkbox", checked: rule.is_enabled !== false, "data-path": `${path}.is_enabled` });
  enabled.addEventListener("change", () => {
    if (enabled.checked) {
      delete rule.is_enabled;
    } else {
      rule.is_enabled = false;
    }
    ctx.changed("automations");
  });
  return configCard({
    entries: rules,
    index,
    family: "automations",
    ctx,
    what: title,
    heading: `Automation ${index + 1}`,
    headExtra: [h("label", { class: "toggle" }, enabled, " Enabled")],
    controls: [
      row("Automation id", id, `${path}.id`, "Unique in the step."),
      row("Name (optional)", boundInput(rule, "name", "automations", ctx), `${path}.name`),
      ...triggerControls(rule, path, "automations", ctx),
      ...actionControls(rule, path, ctx),
      ...(typeof rule.id === "string" && rule.id ? [automationRuns(rule.id)] : []),
    ],
  });
}

export function renderAutomationsTab(ctx: TabContext): HTMLElement {
  return configList({
    family: "automations",
    ctx,
    noun: "automations",
    hint: "What the step does by itself when a trigger fires. The worker runs each action and logs it.",
    empty: "This step has no automations.",
    listLabel: "Automations",
    card: (entries, index) => automationCard(entries, index, ctx),
    addLabel: "Add automation",
    add: (entries) => ({ id: freeId(entries, "automation"), trigger: "on_enter", action: ACTIONS.webhook!.start() }),
  });
}
