// The answer of POST /api/step-template/simulate, said in words: what the item would see,
// which rules hold, what is computed, who is assigned, and what fires on entering and on
// leaving the step.

import { h } from "./dom";
import type { FieldDefinition, Json } from "./model";
import { TRIGGERS } from "./trigger_controls";

interface Account {
  username: string;
  display_name: string;
}

interface Firing {
  rule_kind: "notification" | "automation";
  rule_id: string;
  trigger: string;
  fires: boolean;
  condition_error: string | null;
  recipients: Account[];
  rule: { name?: string };
}

interface Timer {
  rule_kind: "notification" | "automation";
  rule_id: string;
  trigger: string;
  occurrence: number;
  due_at: string;
}

export interface Simulation {
  step_name: string | null;
  field_view: { visible: string[]; required: string[]; problems: string[] };
  can_enter: boolean;
  ready_to_leave: boolean;
  validations: { rule_id: string; field_id: string | null; phase: "enter" | "leave"; passed: boolean; message: string }[];
  calculations: { calculation_id: string; output_field_id: string; value: Json; error: string | null }[];
  assignment: { rules_apply: boolean; assignees: Account[]; unresolved: { rule_type: string; rule_target: string; reason: string }[] };
  on_enter: { notifications: Firing[]; automations: Firing[]; timers: Timer[] };
  on_leave: { notifications: Firing[]; automations: Firing[]; timers_cancelled: string[] };
}

function names(fields: FieldDefinition[], ids: string[]): string {
  return ids.map((id) => fields.find((field) => field.name === id)?.label ?? id).join(", ");
}

function people(accounts: Account[]): string {
  return accounts.map((account) => account.display_name || account.username).join(", ");
}

function section(title: string, ...children: (Node | null)[]): HTMLElement {
  return h("section", { class: "simulation-part" }, h("h3", {}, title), ...children);
}

function list(entries: (Node | string)[], empty: string): HTMLElement {
  return entries.length ? h("ul", {}, ...entries.map((entry) => h("li", {}, entry))) : h("p", { class: "muted" }, empty);
}

function valueText(value: Json): string {
  if (value === null) {
    return "empty";
  }
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

function ruleName(firing: Firing): string {
  const kind = firing.rule_kind === "notification" ? "Notification" : "Automation";
  return `${kind} ${firing.rule_id}${firing.rule.name ? ` (${firing.rule.name})` : ""}`;
}

function firingText(firing: Firing): string {
  const when = TRIGGERS[firing.trigger]?.label.toLowerCase() ?? firing.trigger;
  if (firing.condition_error) {
    return `${ruleName(firing)}, ${when}: would not fire, its condition could not be decided (${firing.condition_error}).`;
  }
  if (!firing.fires) {
    return `${ruleName(firing)}, ${when}: would not fire, its condition is false.`;
  }
  const to = firing.rule_kind === "notification" ? (firing.recipients.length ? ` to ${people(firing.recipients)}` : ", but it finds nobody to tell") : "";
  return `${ruleName(firing)}, ${when}: would fire${to}.`;
}

function timerText(timer: Timer): string {
  const kind = timer.rule_kind === "notification" ? "Notification" : "Automation";
  const when = TRIGGERS[timer.trigger]?.label.toLowerCase() ?? timer.trigger;
  const due = new Date(timer.due_at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  const repeat = timer.occurrence > 1 ? ` (time ${timer.occurrence})` : "";
  return `${kind} ${timer.rule_id}, ${when}: a timer due ${due}${repeat}.`;
}

/** "✓ Deal value is filled in (needed to leave)", "✗ Rule min_deal_value fails (needed to leave): …". */
function validationText(rule: Simulation["validations"][number], fields: FieldDefinition[]): string {
  const phase = rule.phase === "enter" ? "needed to enter" : "needed to leave";
  const failure = rule.passed ? "" : `: ${rule.message}`;
  if (/^(entry_)?required:/.test(rule.rule_id) && rule.field_id) {
    const field = names(fields, [rule.field_id]);
    return `${rule.passed ? `✓ ${field} is filled in` : `✗ ${field} is missing`} (${phase})${failure}`;
  }
  return `${rule.passed ? "✓" : "✗"} Rule ${rule.rule_id} ${rule.passed ? "holds" : "fails"} (${phase})${failure}`;
}

export function simulationInWords(answer: Simulation, fields: FieldDefinition[]): HTMLElement {
  const view = answer.field_view;
  const failed = answer.validations.filter((rule) => !rule.passed);
  const verdict = [
    answer.can_enter ? "An item with these values may enter this step." : "An item with these values may not enter this step: an entry requirement fails.",
    answer.ready_to_leave ? "It would be ready to leave." : `It could not leave yet: ${failed.length === 1 ? "one rule fails" : `${failed.length} rules fail`}.`,
  ].join(" ");
  const assignment = answer.assignment;
  return h(
    "div",
    { class: "simulation" },
    h("p", { class: answer.can_enter && answer.ready_to_leave ? "notice" : "alert" }, verdict),
    section(
      "Fields",
      h("p", {}, view.visible.length ? `Shown: ${names(fields, view.visible)}.` : "No field is shown."),
      h("p", {}, view.required.length ? `Required: ${names(fields, view.required)}.` : "No field is required."),
      view.problems.length ? list(view.problems, "") : null,
    ),
    section(
      "Validations",
      list(
        answer.validations.map((rule) => validationText(rule, fields)),
        "The step has no rules.",
      ),
    ),
    section(
      "Calculations",
      list(
        answer.calculations.map((calc) => {
          const output = names(fields, [calc.output_field_id]);
          return calc.error ? `${calc.calculation_id}: error, ${calc.error}` : `${calc.calculation_id}: ${output} becomes ${valueText(calc.value)}`;
        }),
        "The step computes nothing.",
      ),
    ),
    section(
      "Assignees",
      h(
        "p",
        {},
        !assignment.rules_apply
          ? "The step has no assignment rules: the item keeps its assignees."
          : assignment.assignees.length
            ? `Assigned to ${people(assignment.assignees)}.`
            : "The rules find nobody to assign.",
      ),
      assignment.unresolved.length ? list(assignment.unresolved.map((entry) => `${entry.rule_type} ${entry.rule_target}: ${entry.reason}`), "") : null,
    ),
    section(
      "On entering",
      list(
        [...answer.on_enter.notifications, ...answer.on_enter.automations].map(firingText).concat(answer.on_enter.timers.map(timerText)),
        "Nothing fires and no timer starts.",
      ),
    ),
    section(
      "On leaving",
      list(
        [...answer.on_leave.notifications, ...answer.on_leave.automations]
          .map(firingText)
          .concat(answer.on_leave.timers_cancelled.map((id) => `The timer of ${id} is cancelled.`)),
        "Nothing fires.",
      ),
    ),
  );
}
