// The Notifications tab: the messages the step sends, when, and to whom.

import type { TabContext } from "./context";
import { button, choice, h, row, uid } from "./dom";
import { isObject, type Json, type JsonObject } from "./model";
import { moveButtons, moveItem } from "./sortable_list";
import { boundInput, triggerControls } from "./trigger_controls";

const NAMED: Record<string, string> = { user: "A person", account_group: "A group", role: "Everyone with a role" };

function names(ctx: TabContext, type: string): [string, string][] {
  if (type === "user") {
    return ctx.directory.people.map((person) => [person.username, person.username]);
  }
  const list = type === "role" ? ctx.directory.roles : ctx.directory.groups;
  return list.map((entry) => [entry.name, entry.name]);
}

function checkboxSet(legend: string, path: string, options: [string, string][], isOn: (value: string) => boolean, onToggle: (value: string, on: boolean) => void): HTMLElement {
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
          checked: isOn(value),
          onchange: (event: Event) => onToggle(value, (event.target as HTMLInputElement).checked),
        }),
        ` ${label}`,
      ),
    ),
  );
}

function recipientControls(rule: JsonObject, path: string, ctx: TabContext): HTMLElement {
  if (!Array.isArray(rule.recipients)) {
    rule.recipients = [];
  }
  const recipients = rule.recipients as Json[];
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
      rule.recipients = on ? [...recipients, { type }] : recipients.filter((entry) => !(isObject(entry) && entry.type === type));
      ctx.redraw("notifications");
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
        ctx.redraw("notifications");
      });
      const who = choice(names(ctx, String(recipient.type)), String(recipient.id ?? ""), (value) => {
        recipient.id = value;
        ctx.changed("notifications");
      });
      return h(
        "div",
        { class: "add-row", "data-path": at },
        row("Recipient", type, `${at}.type`),
        row("Who", who, `${at}.id`),
        button("Remove", () => {
          recipients.splice(index, 1);
          ctx.redraw("notifications");
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
      ctx.redraw("notifications");
    }),
  );
}

function notificationCard(rules: Json[], index: number, ctx: TabContext): HTMLElement {
  const rule = rules[index] as JsonObject;
  const path = `notifications[${index}]`;
  const title = `notification ${index + 1}`;
  const id = boundInput(rule, "id", "notifications", ctx);
  id.classList.add("code");
  const body = h("textarea", { rows: 3 });
  body.value = typeof rule.body === "string" ? rule.body : "";
  body.addEventListener("input", () => {
    if (body.value) {
      rule.body = body.value;
    } else {
      delete rule.body;
    }
    ctx.changed("notifications");
  });
  const channels = Array.isArray(rule.channels) ? rule.channels.map(String) : ["in_app", "email"];
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
      rule.channels = ["in_app", "email"].filter((entry) => next.includes(entry));
      ctx.redraw("notifications");
    },
  );
  const bodyRow = row("Message", body, `${path}.body`, "{{item.name}}, {{item.id}} and {{field.<name>}} are filled in.");
  bodyRow.classList.add("wide");
  return h(
    "li",
    { class: "config-row", "data-path": path },
    h(
      "div",
      { class: "row-head" },
      h("strong", {}, `Notification ${index + 1}`),
      moveButtons(title, index, rules.length, (from, to) => {
        moveItem(rules, from, to);
        ctx.redraw("notifications");
      }),
      button("Delete", () => {
        rules.splice(index, 1);
        ctx.redraw("notifications");
      }, { "aria-label": `Delete ${title}`, class: "link-button" }),
    ),
    h(
      "div",
      { class: "form-grid" },
      row("Notification id", id, `${path}.id`, "Unique in the step."),
      ...triggerControls(rule, path, "notifications", ctx),
      recipientControls(rule, path, ctx),
      row("Subject", boundInput(rule, "subject", "notifications", ctx), `${path}.subject`),
      bodyRow,
      channelSet,
    ),
  );
}

function newId(rules: Json[]): string {
  const taken = new Set(rules.filter(isObject).map((rule) => rule.id));
  for (let n = 1; ; n += 1) {
    if (!taken.has(`notification_${n}`)) {
      return `notification_${n}`;
    }
  }
}

export function renderNotificationsTab(ctx: TabContext): HTMLElement {
  const rules = ctx.draft.families.notifications;
  if (!Array.isArray(rules) || !rules.every(isObject)) {
    return h("p", { class: "alert" }, "This configuration is not a list of notifications; correct it with Edit as JSON.");
  }
  return h(
    "div",
    {},
    h("p", { class: "hint" }, "Messages this step sends, in the app and by email."),
    rules.length
      ? h("ol", { class: "config-list", "aria-label": "Notifications" }, ...rules.map((_, index) => notificationCard(rules, index, ctx)))
      : h("p", { class: "muted" }, "This step sends no notifications."),
    button("Add notification", () => {
      rules.push({ id: newId(rules), trigger: "on_enter", recipients: [{ type: "owner" }] });
      ctx.redraw("notifications");
    }),
  );
}
