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

/** Who ``holder`` (a notification, or a notify action) goes to. */
export function recipientControls(holder: JsonObject, path: string, family: Family, ctx: TabContext): HTMLElement {
  if (!Array.isArray(holder.recipients)) {
    holder.recipients = [];
  }
  const recipients = holder.recipients as Json[];
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
