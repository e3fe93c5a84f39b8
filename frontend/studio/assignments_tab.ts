// The Assignments tab: who an item is assigned to when it enters the step, each entry a
// strategy and the person, group or role it names (chosen from the organisation's lists).

import { configCard, configList } from "./config_list";
import type { TabContext } from "./context";
import { choice, h, row, uid } from "./dom";
import type { Json, JsonObject } from "./model";

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
  const noun = STRATEGIES[type]?.names === "people" ? "Person" : STRATEGIES[type]?.names === "roles" ? "Role" : "Group";
  return configCard({
    entries,
    index,
    family: "assignments",
    ctx,
    what: `assignment ${index + 1}`,
    heading: `Assignment ${index + 1}`,
    removeLabel: "Remove",
    controls: [
      row("Assign to", strategy, `${path}.type`),
      finder(who, noun),
      row(noun, who, `${path}.id`),
    ],
  });
}

/** A search box that narrows a long list of people, groups or roles to the entries whose
 * label contains what is typed (case and accents aside). */
function finder(select: HTMLSelectElement, noun: string): HTMLElement {
  const input = h("input", { type: "search", autocomplete: "off", placeholder: "Type part of a name" });
  const count = h("p", { class: "hint", id: uid("found"), "aria-live": "polite" });
  input.setAttribute("aria-describedby", count.id);
  const fold = (text: string): string => text.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();
  input.addEventListener("input", () => {
    const wanted = fold(input.value.trim());
    const options = Array.from(select.options);
    const matches = options.filter((option) => wanted === "" || fold(option.text).includes(wanted));
    for (const option of options) {
      option.hidden = !matches.includes(option);
    }
    // The first match is chosen when the current choice no longer matches, as a combobox does.
    const first = matches[0];
    if (first && !matches.includes(options[select.selectedIndex])) {
      select.value = first.value;
      select.dispatchEvent(new Event("change"));
    }
    const chosen = select.selectedOptions[0]?.text ?? "";
    count.textContent = !wanted
      ? ""
      : matches.length
        ? `${matches.length} of ${options.length} match; chosen: ${chosen}.`
        : `No ${noun.toLowerCase()} matches.`;
  });
  const wrapper = row("Find by name", input);
  wrapper.append(count);
  return wrapper;
}

export function renderAssignmentsTab(ctx: TabContext): HTMLElement {
  return configList({
    family: "assignments",
    ctx,
    noun: "assignments",
    hint: "When an item enters this step, it is assigned to everyone these entries name.",
    empty: "Nobody is assigned at this step.",
    listLabel: "Assignments",
    card: (entries, index) => entryRow(entries, index, ctx),
    addLabel: "Add assignment",
    add: () => ({ type: "user", id: ctx.directory.people[0]?.username ?? "" }),
  });
}
