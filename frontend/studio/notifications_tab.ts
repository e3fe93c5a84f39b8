// The Notifications tab: the messages the step sends, when, and to whom.

import type { TabContext } from "./context";
import { configCard, configList, freeId } from "./config_list";
import { choice, row } from "./dom";
import { messageControls, recipientControls } from "./message_controls";
import { messagePreview } from "./message_preview";
import type { Json, JsonObject } from "./model";
import { boundInput, triggerControls } from "./trigger_controls";

function notificationCard(rules: Json[], index: number, ctx: TabContext): HTMLElement {
  const rule = rules[index] as JsonObject;
  const path = `notifications[${index}]`;
  const title = `notification ${index + 1}`;
  const id = boundInput(rule, "id", "notifications", ctx);
  id.classList.add("code");
  const template = choice(
    [["", "the trigger's default"], ...ctx.messageTemplates.map((name): [string, string] => [name, name.replaceAll("_", " ")])],
    typeof rule.template === "string" ? rule.template : "",
    (value) => {
      if (value) {
        rule.template = value;
      } else {
        delete rule.template;
      }
      ctx.changed("notifications");
    },
  );
  const message = messageControls(rule, path, "notifications", ctx);
  const subject = message[0]!.querySelector("input")!;
  const body = message[1]!.querySelector("textarea")!;
  return configCard({
    entries: rules,
    index,
    family: "notifications",
    ctx,
    what: title,
    heading: `Notification ${index + 1}`,
    controls: [
      row("Notification id", id, `${path}.id`, "Unique in the step."),
      ...triggerControls(rule, path, "notifications", ctx),
      recipientControls(rule, path, "notifications", ctx),
      row("Message template", template, `${path}.template`, "A built-in text; a subject or message below takes its place."),
      ...message,
      messagePreview(rule, path, subject, body, ctx),
    ],
  });
}

export function renderNotificationsTab(ctx: TabContext): HTMLElement {
  return configList({
    family: "notifications",
    ctx,
    noun: "notifications",
    hint: "Messages this step sends, in the app and by email.",
    empty: "This step sends no notifications.",
    listLabel: "Notifications",
    card: (entries, index) => notificationCard(entries, index, ctx),
    addLabel: "Add notification",
    add: (entries) => ({ id: freeId(entries, "notification"), trigger: "on_enter", recipients: [{ type: "owner" }] }),
  });
}
