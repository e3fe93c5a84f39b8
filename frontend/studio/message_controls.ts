// The parts of a message shared by notifications and an automation's notify action:
// its recipients, subject, body and channels.

import type { TabContext } from "./context";
import { button, choice, h, row, uid } from "./dom";
import { type Family, isObject, type Json, type JsonObject } from "./model";
import { boundInput } from "./trigger_controls";

const NAMED: Record<string, string> = { user: "A person", account_group: "A group", role: "Everyone with a role" };

function names(ctx: TabContext, type: string): [string, string][] {
  if (type === "user") {
    return ctx.directory.people.map((person) => [person.username, person.username]);
  }
  const list = type === "role" ? ctx.directory.roles : ctx.directory.groups;
  return list.map((entry) => [entry.name, entry.name]);
}

export function checkboxSet(
  legend: string,
  path: string,
  options: [string, string][],
  isOn: (value: string) => boolean,
  onToggle: (value: string, on: boolean) => void,
): HTMLElement {
  const id = uid("legend");
  return h(
    "fieldset",
    { class: "options", "data-path": path, "aria-labelledby": id },
    h("legend", { id }, legend),
    ...options.map(([value, label]) =>
      h(
        "label",
        {},
        h("input", {
          type: "checkbox",
          value,
          checked: isOn(value),
          onchange: (event: Event) => onToggle(value, (event.target as HTMLInputElement).checked),
        }),
        ` ${label}`,
      ),
    ),
  );
}

const KIND_WORDS: Record<string, string> = { user: "person", account_group: "group", role: "role" };

/** How a recipient reads on its chip: "the owner", "Ana Lima (person)", "Sales reps (group)". */
function recipientLabel(entry: Json, ctx: TabContext): string {
  if (!isObject(entry)) {
    return "a recipient PaceTrack cannot read";
  }
  const type = String(entry.type ?? "");
  if (type === "owner") {
    return "the item's owner";
  }
  if (type === "assignees") {
    return "its assignees";
  }
  const id = String(entry.id ?? "");
  const person = type === "user" ? ctx.directory.people.find((candidate) => candidate.username === id) : undefined;
  const name = person?.display_name || id || "nobody chosen yet";
  return `${name} (${KIND_WORDS[type] ?? type})`;
}

/** The recipients at a glance, each a chip with a button that takes it off. */
function recipientChips(recipients: Json[], family: Family, ctx: TabContext): { element: HTMLElement; refresh: () => void } {
  const list = h("ul", { class: "chips", "aria-label": "Recipients" });
  const refresh = (): void => {
    list.replaceChildren(
      ...recipients.map((entry, index) => {
        const label = recipientLabel(entry, ctx);
        return h(
          "li",
          { class: "chip" },
          h("span", {}, label),
          button("×", () => {
            recipients.splice(index, 1);
            ctx.redraw(family);
          }, { class: "chip-remove", "aria-label": `Remove ${label}` }),
        );
      }),
    );
    if (!recipients.length) {
      list.append(h("li", { class: "muted" }, "Nobody yet: choose who receives it below."));
    }
  };
  refresh();
  return { element: list, refresh };
}

/** Who ``holder`` (a notification, or a notify action) goes to. */
export function recipientControls(holder: JsonObject, path: string, family: Family, ctx: TabContext): HTMLElement {
  if (!Array.isArray(holder.recipients)) {
    holder.recipients = [];
  }
  const recipients = holder.recipients as Json[];
  const chips = recipientChips(recipients, family, ctx);
  const has = (type: string) => recipients.some((entry) => isObject(entry) && entry.type === type);
  const everyone = checkboxSet(
    "Send to",
    `${path}.recipients`,
    [
      ["owner", "the item's owner"],
      ["assignees", "its assignees"],
    ],
    has,
    (type, on) => {
      holder.recipients = on ? [...recipients, { type }] : recipients.filter((entry) => !(isObject(entry) && entry.type === type));
      ctx.redraw(family);
    },
  );
  const named = recipients
    .map((entry, index) => ({ entry, index }))
    .filter(({ entry }) => isObject(entry) && String(entry.type) in NAMED)
    .map(({ entry, index }) => {
      const recipient = entry as JsonObject;
      const at = `${path}.recipients[${index}]`;
      const type = choice(Object.entries(NAMED), String(recipient.type), (value) => {
        recipient.type = value;
        recipient.id = names(ctx, value)[0]?.[0] ?? "";
        ctx.redraw(family);
      });
      const who = choice(names(ctx, String(recipient.type)), String(recipient.id ?? ""), (value) => {
        recipient.id = value;
        chips.refresh();
        ctx.changed(family);
      });
      return h(
        "div",
        { class: "add-row", "data-path": at },
        row("Recipient", type, `${at}.type`),
        row("Who", who, `${at}.id`),
        button("Remove", () => {
          recipients.splice(index, 1);
          ctx.redraw(family);
        }, { class: "link-button", "aria-label": `Remove recipient ${index + 1}` }),
      );
    });
  return h(
    "div",
    { class: "wide" },
    chips.element,
    everyone,
    ...named,
    button("Add recipient", () => {
      recipients.push({ type: "user", id: names(ctx, "user")[0]?.[0] ?? "" });
      ctx.redraw(family);
    }),
  );
}

/** Subject, message and channels of ``holder``. */
export function messageControls(holder: JsonObject, path: string, family: Family, ctx: TabContext): HTMLElement[] {
  const body = h("textarea", { rows: 3 });
  body.value = typeof holder.body === "string" ? holder.body : "";
  body.addEventListener("input", () => {
    if (body.value) {
      holder.body = body.value;
    } else {
      delete holder.body;
    }
    ctx.changed(family);
  });
  const channels = Array.isArray(holder.channels) ? holder.channels.map(String) : ["in_app", "email"];
  const channelSet = checkboxSet(
    "Channels",
    `${path}.channels`,
    [
      ["in_app", "in the app"],
      ["email", "by email"],
    ],
    (value) => channels.includes(value),
    (value, on) => {
      const next = on ? [...channels, value] : channels.filter((entry) => entry !== value);
      holder.channels = ["in_app", "email"].filter((entry) => next.includes(entry));
      ctx.redraw(family);
    },
  );
  const bodyRow = row("Message", body, `${path}.body`, "{{item.name}}, {{item.id}} and {{field.<name>}} are filled in.");
  bodyRow.classList.add("wide");
  return [row("Subject", boundInput(holder, "subject", family, ctx), `${path}.subject`), bodyRow, channelSet];
}
