// The Simulate panel under the step editor: an item of a running pipeline of this
// template, or sample values, run through the step as drafted (unsaved changes
// included) by POST /api/step-template/simulate, which writes nothing.

import { ApiProblem, apiPost } from "./api";
import { button, choice, h, row, uid } from "./dom";
import { FAMILIES, type Draft, type FieldDefinition, isObject, type JsonObject } from "./model";
import { placeProblems } from "./problems";
import { sampleValue } from "./sample_value";
import { type Simulation, simulationInWords } from "./simulation_words";
import { templateItems } from "./template_items";

const SAMPLE = "";

export class SimulatePanel {
  readonly element: HTMLElement;
  private stepId: string | null = null;
  private draft: Draft | null = null;
  private items: [string, string][] | null = null;
  private source = SAMPLE;
  private readonly typed = new Map<string, string>();
  private readonly controls = h("div", { class: "simulate-controls" });
  private readonly answer = h("div", { class: "simulate-answer", "aria-live": "polite" });

  constructor(
    private readonly templateId: string,
    private readonly fields: FieldDefinition[],
  ) {
    const heading = uid("simulate-heading");
    this.element = h(
      "section",
      { class: "card studio-simulate", "aria-labelledby": heading },
      h("h2", { id: heading }, "Simulate"),
      h("p", { class: "hint" }, "What entering and leaving this step would do with an item's values, the changes not yet saved included. Nothing is written."),
      this.controls,
      this.answer,
    );
  }

  /** The panel now simulates ``stepId`` as ``draft`` has it; another step clears the answer. */
  show(stepId: string, draft: Draft): void {
    if (stepId !== this.stepId) {
      this.answer.replaceChildren();
    }
    this.stepId = stepId;
    this.draft = draft;
    this.drawControls();
    if (this.items === null) {
      this.items = [];
      void this.loadItems();
    }
  }

  private async loadItems(): Promise<void> {
    this.items = await templateItems(this.templateId);
    this.drawControls();
  }

  /** The fields the step shows, else every field: the sample values asked for. */
  private sampleFields(): FieldDefinition[] {
    const configs = this.draft?.families.field_configs;
    const shown = Array.isArray(configs) ? configs.filter(isObject).map((entry) => String(entry.field_definition_id)) : [];
    const at = this.fields.filter((field) => shown.includes(field.name));
    return at.length ? at : this.fields;
  }

  private drawControls(): void {
    const options: [string, string][] = [[SAMPLE, "Sample values"], ...(this.items ?? [])];
    const source = choice(options, this.source, (value) => {
      this.source = value;
      this.drawControls();
    });
    const inputs = this.sampleFields().map((field) => {
      const input = h("input", { value: this.typed.get(field.name) ?? "" });
      input.addEventListener("input", () => this.typed.set(field.name, input.value));
      return row(field.label, input, `field_values.${field.name}`, field.field_type === "object" ? "JSON, for example {\"sqft\": 120}" : undefined);
    });
    this.controls.replaceChildren(
      row("Values from", source, "item_id", this.items?.length ? "An item of a pipeline made from this template, or values you type." : "No pipeline made from this template has items yet: type sample values."),
      h("div", { class: "form-grid" }, ...inputs),
      h("p", { class: "hint" }, this.source === SAMPLE ? "Empty inputs are empty values." : "Values typed here replace the item's."),
      button("Simulate", () => void this.run(), { "data-simulate": "" }),
    );
  }

  private request(): JsonObject {
    const draft = this.draft!;
    const body: JsonObject = { step_id: this.stepId };
    for (const family of FAMILIES) {
      body[family] = draft.families[family];
    }
    body.target_duration_days = draft.settings.target_duration_days;
    const values: JsonObject = {};
    for (const field of this.sampleFields()) {
      const text = this.typed.get(field.name) ?? "";
      if (text.trim()) {
        values[field.name] = sampleValue(field, text);
      }
    }
    body.field_values = values;
    if (this.source !== SAMPLE) {
      body.item_id = this.source;
    }
    return body;
  }

  private async run(): Promise<void> {
    if (!this.stepId || !this.draft) {
      return;
    }
    this.answer.replaceChildren(h("p", { class: "muted" }, "Simulating…"));
    try {
      const answer = await apiPost<Simulation>("/api/step-template/simulate", this.request());
      this.answer.replaceChildren(simulationInWords(answer, this.fields));
    } catch (error) {
      const refused = error instanceof ApiProblem && error.errors.length ? error.errors : [{ field: "", message: (error as Error).message }];
      const problems = placeProblems(this.controls, refused);
      if (!problems.length) {
        this.answer.replaceChildren();
        return;
      }
      this.answer.replaceChildren(
        h("div", { class: "alert", role: "alert" }, h("p", {}, "The step could not be simulated:"), h("ul", {}, ...problems.map((problem) => h("li", {}, problem.field ? `${problem.field}: ${problem.message}` : problem.message)))),
      );
    }
  }
}
