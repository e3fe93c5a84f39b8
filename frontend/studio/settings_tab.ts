// The Settings tab: the step's name, description, target duration, colour and icon, and
// the metadata keys PaceTrack acts on (approval, whether entering the step completes the
// item and with which outcome, allowed next steps, entry requirements, loop limit). Other
// metadata keys are kept as they are and edited with the tab's Edit as JSON.

import { assigneeChoices } from "./assignments_tab";
import type { TabContext } from "./context";
import { button, choice, h, row } from "./dom";
import { checkboxSet } from "./message_controls";
import { isObject, type Json, type JsonObject, numberOrText } from "./model";
import { boundInput } from "./trigger_controls";
import { ruleList } from "./validations_tab";

/** The metadata object of the draft (made one when the JSON held something else). */
function metadataOf(ctx: TabContext): JsonObject {
  const metadata = ctx.draft.families.metadata;
  if (isObject(metadata)) {
    return metadata;
  }
  const fresh: JsonObject = {};
  ctx.draft.families.metadata = fresh;
  return fresh;
}

/** A checkbox for a true-or-absent key; ``dependents`` are removed with it, and the tab is
 * redrawn when there are any (their controls come and go). */
function flag(metadata: JsonObject, key: string, label: string, ctx: TabContext, dependents: string[] = []): HTMLElement {
  const box = h("input", { type: "checkbox", checked: metadata[key] === true, "data-path": `metadata.${key}` });
  box.addEventListener("change", () => {
    if (box.checked) {
      metadata[key] = true;
    } else {
      for (const name of [key, ...dependents]) {
        delete metadata[name];
      }
    }
    if (dependents.length) {
      ctx.redraw("metadata");
    } else {
      ctx.changed("metadata");
    }
  });
  return h("label", { class: "toggle" }, box, ` ${label}`);
}

/** A list of names in the metadata, ticked from ``options``; none ticked removes the key. */
function nameSet(metadata: JsonObject, key: string, legend: string, options: [string, string][], ctx: TabContext): HTMLElement {
  const current = () => (Array.isArray(metadata[key]) ? (metadata[key] as Json[]).map(String) : []);
  const set = checkboxSet(legend, `metadata.${key}`, options, (value) => current().includes(value), (value, on) => {
    const names = on ? [...current(), value] : current().filter((name) => name !== value);
    const ordered = options.map(([name]) => name).filter((name) => names.includes(name));
    if (ordered.length) {
      metadata[key] = ordered;
    } else {
      delete metadata[key];
    }
    ctx.changed("metadata");
  });
  set.classList.add("wide");
  return set;
}

const APPROVERS: [string, string][] = [
  ["", "admins and managers"],
  ["user", "a person"],
  ["account_group", "a member of a group"],
  ["role", "everyone with a role"],
];
const APPROVAL_KEYS = ["approver", "approvals_required", "allow_self_approval"];
const APPROVER_NAMES: Record<string, string> = { user: "Person", account_group: "Group", role: "Role" };

/** Who approves leaving the step, how many must, and whether the requester may. */
function approvalControls(metadata: JsonObject, ctx: TabContext): HTMLElement[] {
  const approver = isObject(metadata.approver) ? metadata.approver : null;
  const type = approver ? String(approver.type ?? "") : "";
  const kind = choice(APPROVERS, type, (value) => {
    if (value) {
      metadata.approver = { type: value, id: assigneeChoices(ctx, value)[0]?.[0] ?? "" };
    } else {
      delete metadata.approver;
    }
    ctx.redraw("metadata");
  });
  const controls = [row("Who approves", kind, "metadata.approver.type")];
  if (approver && type in APPROVER_NAMES) {
    const who = choice(assigneeChoices(ctx, type), String(approver.id ?? ""), (value) => {
      approver.id = value;
      ctx.changed("metadata");
    });
    controls.push(row(`Approving ${APPROVER_NAMES[type]!.toLowerCase()}`, who, "metadata.approver.id"));
  }
  const count = boundInput(metadata, "approvals_required", "metadata", ctx, numberOrText);
  count.inputMode = "numeric";
  controls.push(
    row("Approvals needed (optional)", count, "metadata.approvals_required", "Different approvers who must approve. Default 1."),
    h("div", { class: "toggles" }, flag(metadata, "allow_self_approval", "The person who asks may also approve", ctx)),
  );
  return controls;
}

function entryRules(metadata: JsonObject, ctx: TabContext): HTMLElement {
  const heading = h("h3", {}, "Entry rules");
  const stored = metadata.entry_validations;
  if (stored !== undefined && !Array.isArray(stored)) {
    return h("div", { class: "wide" }, heading, h("p", { class: "alert" }, "The entry rules are not a list of rules; correct them with Edit as JSON."));
  }
  const rules = stored ?? [];
  // An empty list is no rule at all: the key is left out until a rule is added.
  if (rules.length === 0) {
    delete metadata.entry_validations;
  }
  const list = ruleList(
    ctx,
    { family: "metadata", path: "metadata.entry_validations" },
    {
      hint: "Every entry rule must hold before an item may enter this step (checked with the move, like the step's own validations).",
      empty: "No entry rules.",
      listLabel: "Entry rules, checked in this order",
      addLabel: "Add entry rule",
    },
    {
      entries: rules,
      attach: (entries) => {
        metadata.entry_validations = entries;
      },
    },
  );
  return h("div", { class: "wide entry-rules", "data-path": "metadata.entry_validations" }, heading, list);
}

function metadataControls(ctx: TabContext): HTMLElement {
  const metadata = metadataOf(ctx);
  const name = ctx.draft.settings.name;
  const others = ctx.stepNames.filter((step) => step !== name);
  const loopLimit = boundInput(metadata, "max_automatic_moves", "metadata", ctx, numberOrText);
  loopLimit.inputMode = "numeric";
  const section = h(
    "div",
    { class: "form-grid step-rules wide" },
    h("h3", { class: "wide" }, "Moving in and out"),
    h("div", { class: "toggles wide" }, flag(metadata, "requires_approval", "Leaving this step needs an approval", ctx, APPROVAL_KEYS)),
    ...(metadata.requires_approval === true ? approvalControls(metadata, ctx) : []),
    wide(
      row(
        "Completes the item with outcome",
        terminalControl(ctx),
        "metadata.terminal.outcome",
        "Entering this step completes the item with this outcome and cancels its reminders.",
      ),
    ),
    row("Automatic moves in a row at most (optional)", loopLimit, "metadata.max_automatic_moves", "Stops automations that move items in circles. Default 10."),
    others.length ? nameSet(metadata, "allowed_next_steps", "Items may move on only to (none ticked: any step)", others.map((step) => [step, step]), ctx) : null,
    ctx.fields.length
      ? nameSet(metadata, "entry_required_fields", "Fields that must have a value to enter this step", ctx.fields.map((field) => [field.name, field.label]), ctx)
      : null,
    entryRules(metadata, ctx),
  );
  return section;
}

function wide(element: HTMLElement): HTMLElement {
  element.classList.add("wide");
  return element;
}

function iconChoice(ctx: TabContext): HTMLSelectElement {
  const settings = ctx.draft.settings;
  const options: [string, string][] = [["", "No icon"], ...Object.entries(ctx.icons).map(([name, symbol]): [string, string] => [name, `${symbol} ${name}`])];
  return choice(options, settings.icon ?? "", (value) => {
    settings.icon = value || null;
    ctx.redraw("settings");
  });
}

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
  const metadata = metadataOf(ctx);
  const terminal = metadata.terminal;
  const current = isObject(terminal) && typeof terminal.outcome === "string" ? terminal.outcome : "";
  return choice([["", "No: the item stays open"], ...OUTCOMES], current, (outcome) => {
    if (outcome) {
      metadata.terminal = { outcome };
    } else {
      delete metadata.terminal;
    }
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
    row("Icon", iconChoice(ctx), "icon", "Shown with the step's name in the studio, on the board and on the item page."),
    metadataControls(ctx),
    h("p", { class: "hint wide" }, "Other metadata keys are kept as they are and edited with Edit as JSON.",
      button("Edit metadata as JSON", () => document.querySelector<HTMLButtonElement>("[data-json-toggle]")?.click(), { class: "link-button" })),
  );
}
