// Under a notification's subject and message: "Insert variable" at the cursor, and a
// Preview rendered by the server (POST /api/notification/preview, the worker's own
// templating) against sample values or an item of a pipeline made from this template.

import { ApiProblem, apiPost } from "./api";
import type { TabContext } from "./context";
import { button, choice, h, row, uid } from "./dom";
import type { JsonObject } from "./model";
import { placeProblems } from "./problems";
import { sampleValue } from "./sample_value";
import { templateItems } from "./template_items";

const SAMPLE = "";

interface PreviewOut {
  subject: string;
  body: string;
  rendered_for: string;
}

function variables(ctx: TabContext): [string, string][] {
  return [
    ["{{item.name}}", "the item's name"],
    ["{{item.id}}", "the item's id"],
    ["{{item.url}}", "the item's address"],
    ["{{step.name}}", "the step's name"],
    ...ctx.fields.map((field): [string, string] => [`{{field.${field.name}}}`, `${field.label} (field)`]),
  ];
}

/** Puts ``text`` at the cursor of ``control`` (or over its selection), as typing would. */
function insertAtCursor(control: HTMLInputElement | HTMLTextAreaElement, text: string): void {
  const start = control.selectionStart ?? control.value.length;
  const end = control.selectionEnd ?? start;
  control.setRangeText(text, start, end, "end");
  control.dispatchEvent(new Event("input", { bubbles: true }));
  control.focus();
}

export function messagePreview(
  rule: JsonObject,
  path: string,
  subject: HTMLInputElement,
  body: HTMLTextAreaElement,
  ctx: TabContext,
): HTMLElement {
  const chosen = h("select", {}, ...variables(ctx).map(([value, label]) => h("option", { value }, `${value}: ${label}`)));
  const insert = h(
    "div",
    { class: "add-row" },
    row("Insert variable", chosen),
    button("Insert into subject", () => insertAtCursor(subject, chosen.value)),
    button("Insert into message", () => insertAtCursor(body, chosen.value)),
  );
  let source = SAMPLE;
  const sourceSelect = choice([[SAMPLE, "Sample values"]], SAMPLE, (value) => {
    source = value;
    samples.hidden = value !== SAMPLE;
  });
  void templateItems(ctx.templateId).then((items) => {
    for (const [value, label] of items) {
      sourceSelect.append(h("option", { value }, label));
    }
  });
  const itemName = h("input", { value: "Sample item" });
  const typed = new Map<string, HTMLInputElement>();
  // The field inputs appear when asked for: a card with one per field would be long.
  const fieldSamples = h("div", { class: "form-grid", id: uid("samples") });
  const showFields = button(
    "Sample field values",
    () => {
      const open = showFields.getAttribute("aria-expanded") !== "true";
      showFields.setAttribute("aria-expanded", open ? "true" : "false");
      if (open && !typed.size) {
        fieldSamples.append(
          ...ctx.fields.map((field) => {
            const input = h("input", {});
            typed.set(field.name, input);
            return row(`Sample ${field.label}`, input, `sample.field.${field.name}`);
          }),
        );
      }
      fieldSamples.hidden = !open;
    },
    { "aria-expanded": "false", "aria-controls": fieldSamples.id, class: "link-button" },
  );
  const samples = h("div", {}, row("Sample item name", itemName, "sample.item_name"), showFields, fieldSamples);
  const answer = h("div", { class: "preview-answer", "aria-live": "polite" });
  const controls = h("div", { class: "message-preview" });
  const run = async (): Promise<void> => {
    controls.querySelectorAll(".field-error").forEach((node) => node.remove());
    const field: JsonObject = {};
    for (const definition of ctx.fields) {
      const text = typed.get(definition.name)?.value ?? "";
      if (text.trim()) {
        field[definition.name] = sampleValue(definition, text);
      }
    }
    const request: JsonObject = {
      subject: typeof rule.subject === "string" ? rule.subject : "",
      body: typeof rule.body === "string" ? rule.body : "",
      step_template_id: ctx.templateStepId,
      sample: { item_name: itemName.value, field },
    };
    if (source !== SAMPLE) {
      request.item_id = source;
    }
    try {
      const shown = await apiPost<PreviewOut>("/api/notification/preview", request);
      answer.replaceChildren(
        h("p", { class: "muted" }, `Rendered for ${shown.rendered_for}:`),
        h("p", { class: "preview-subject" }, h("strong", {}, shown.subject || "(no subject)")),
        h("pre", { class: "preview-body" }, shown.body || "(no message)"),
      );
    } catch (error) {
      const problems = error instanceof ApiProblem && error.errors.length ? error.errors : [{ field: "", message: (error as Error).message }];
      // The subject and message controls sit above the preview: their problems go there.
      const card = controls.closest<HTMLElement>(".config-row") ?? controls;
      const unplaced = placeProblems(card, problems.map((problem) => ({ ...problem, field: problem.field === "subject" || problem.field === "body" ? `${path}.${problem.field}` : problem.field })));
      answer.replaceChildren(...unplaced.map((problem) => h("p", { class: "alert", role: "alert" }, problem.message)));
    }
  };
  const heading = uid("preview-heading");
  controls.append(
    h("h4", { id: heading }, "Preview"),
    row("Values from", sourceSelect, "item_id"),
    samples,
    button("Preview", () => void run(), { "aria-describedby": heading }),
    answer,
  );
  return h("div", { class: "wide" }, insert, controls);
}
