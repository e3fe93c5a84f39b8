// The Assignments tab: who an item is assigned to when it enters the step, each entry a
// strategy and the person, group or role it names (chosen from the organisation's lists).

import type { TabContext } from "./context";
import { button, choice, h, row } from "./dom";
import { isObject, type Json, type JsonObject } from "./model";

export const STRATEGIES: Record<string, { label: string; names: "people" | "groups" | "roles" }> = {
  user: { label: "A person", names: "people" },
  account_group: { label: "Every member of a group", names: "groups" },
  role: { label: "Everyone with a role", names: "roles" },
  round_robin: { label: "Members of a group in turn (round robin)", names: "groups" },
  least_assigned: { label: "The group member with the fewest items", names: "groups" },
};

export function assigneeChoices(ctx: TabContext, type: string): [string, string][] {
  const directory = ctx.directory;
  switch (STRATEGIES[type]?.names) {
    case "people":
      return directory.people.map((person) => [
        person.username,
        person.display_name && person.display_name !== person.username
          ? `${person.display_name} (${person.username})`
          : person.username,
      ]);
    case "groups":
      return directory.groups.map((group) => [group.name, group.name]);
    case "roles":
      return directory.roles.map((role) => [role.name, role.name]);
    default:
      return [];
  }
}

function entryRow(entries: Json[], index: number, ctx: TabContext): HTMLElement {
  const entry = entries[index] as JsonObject;
  const path = `assignments[${index}]`;
  const type = String(entry.type ?? "");
  const strategy = choice(
    Object.entries(STRATEGIES).map(([value, info]) => [value, info.label]),
    type,
    (value) => {
      const before = STRATEGIES[type]?.names;
      entry.type = value;
      if (STRATEGIES[value]?.names !== before) {
        entry.id = assigneeChoices(ctx, value)[0]?.[0] ?? "";
      }
      ctx.redraw("assignments");
    },
  );
  const who = choice(assigneeChoices(ctx, type), String(entry.id ?? ""), (value) => {
    entry.id = value;
    ctx.changed("assignments");
  });
  return h(
    "li",
    { class: "config-row", "data-path": path },
    h(
      "div",
      { class: "row-head" },
      h("strong", {}, `Assignment ${index + 1}`),
      button("Remove", () => {
        entries.splice(index, 1);
        ctx.redraw("assignments");
      }, { "aria-label": `Remove assignment ${index + 1}`, class: "link-button" }),
    ),
    h(
      "div",
      { class: "form-grid" },
      row("Assign to", strategy, `${path}.type`),
      row(STRATEGIES[type]?.names === "people" ? "Person" : STRATEGIES[type]?.names === "roles" ? "Role" : "Group", who, `${path}.id`),
    ),
  );
}

export function renderAssignmentsTab(ctx: TabContext): HTMLElement {
  const entries = ctx.draft.families.assignments;
  if (!Array.isArray(entries) || !entries.every(isObject)) {
    return h("p", { class: "alert" }, "This configuration is not a list of assignments; correct it with Edit as JSON.");
  }
  return h(
    "div",
    {},
    h("p", { class: "hint" }, "When an item enters this step, it is assigned to everyone these entries name."),
    entries.length
      ? h("ol", { class: "config-list", "aria-label": "Assignments" }, ...entries.map((_, index) => entryRow(entries, index, ctx)))
      : h("p", { class: "muted" }, "Nobody is assigned at this step."),
    button("Add assignment", () => {
      entries.push({ type: "user", id: ctx.directory.people[0]?.username ?? "" });
      ctx.redraw("assignments");
    }),
  );
}
