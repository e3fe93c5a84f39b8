// The Notifications tab: the messages the step sends, when, and to whom.

import type { TabContext } from "./context";
import { button, h, row } from "./dom";
import { messageControls, recipientControls } from "./message_controls";
import { isObject, type Json, type JsonObject } from "./model";
import { moveButtons, moveItem } from "./sortable_list";
import { boundInput, triggerControls } from "./trigger_controls";

export function newId(rules: Json[], prefix: string): string {
  const taken = new Set(rules.filter(isObject).map((rule) => rule.id));
  for (let n = 1; ; n += 1) {
    if (!taken.has(`${prefix}_${n}`)) {
      return `${prefix}_${n}`;
    }
  }
}

function notificationCard(rules: Json[], index: number, ctx: TabContext): HTMLElement {
  const rule = rules[index] as JsonObject;
  const path = `notifications[${index}]`;
  const title = `notification ${index + 1}`;
  const id = boundInput(rule, "id", "notifications", ctx);
  id.classList.add("code");
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
      recipientControls(rule, path, "notifications", ctx),
      ...messageControls(rule, path, "notifications", ctx),
    ),
  );
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
      rules.push({ id: newId(rules, "notification"), trigger: "on_enter", recipients: [{ type: "owner" }] });
      ctx.redraw("notifications");
    }),
  );
}
