// The Automations tab: what the step does by itself when its trigger fires: call a
// webhook, set a field, send a notification, move or assign the item, create an item.

import { assigneeChoices, STRATEGIES } from "./assignments_tab";
import { automationRuns } from "./automation_runs";
import type { TabContext } from "./context";
import { configCard, configList, freeId } from "./config_list";
import { choice, h, row } from "./dom";
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
        jsonBox(action, "data", `${at}.data`, "Data (JSON; {{item.id}} and {{field.<name>}} are filled in)", ctx),
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
        jsonBox(action, "field_mapping", `${at}.field_mapping`, "Field mapping (JSON: target field to template)", ctx),
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
