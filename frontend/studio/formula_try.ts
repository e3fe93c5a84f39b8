// "Try with sample values" under a calculation's formula: an input for each value the
// formula reads (from the check's paths_read), and the result the step would compute,
// asked of POST /api/step-template/simulate with the calculation as a draft (nothing is
// written).

import { ApiProblem, apiPost } from "./api";
import { button, h, row } from "./dom";
import type { CheckAnswer } from "./formula_check";
import type { FieldDefinition, Json, JsonObject } from "./model";
import { sampleValue } from "./sample_value";

interface SimulatedCalculation {
  calculation_id: string;
  output_field_id: string;
  value: Json;
  error: string | null;
}

export interface TryOptions {
  stepId: string;
  fields: FieldDefinition[];
  /** The calculation as drafted (its id, formula and output field). */
  calculation: () => JsonObject;
}

export interface SampleValues {
  element: HTMLElement;
  /** The formula's latest verdict: one input per path it reads. */
  follow(answer: CheckAnswer | null): void;
}


/** ``{"dimensions": {"sqft": 120}}`` from ``dimensions.sqft`` = "120". */
function fieldValues(typed: Map<string, string>, fields: FieldDefinition[]): JsonObject {
  const values: JsonObject = {};
  for (const [path, text] of typed) {
    if (!text.trim()) {
      continue;
    }
    const [name, ...keys] = path.split(".");
    const field = fields.find((entry) => entry.name === name);
    let holder = values;
    let key = name!;
    for (const next of keys) {
      const inner = holder[key];
      holder = (holder[key] = typeof inner === "object" && inner !== null && !Array.isArray(inner) ? inner : {}) as JsonObject;
      key = next;
    }
    holder[key] = sampleValue(field, text, keys.length > 0);
  }
  return values;
}

function pathLabel(path: string, fields: FieldDefinition[]): string {
  const [name, ...keys] = path.split(".");
  const field = fields.find((entry) => entry.name === name);
  const label = field ? field.label : name!;
  return keys.length ? `${label}: ${keys.join(".")} (${path})` : `${label} (${path})`;
}

function resultInWords(found: SimulatedCalculation | undefined, fields: FieldDefinition[]): string {
  if (!found) {
    return "The step did not compute this calculation.";
  }
  if (found.error) {
    return `Error: ${found.error}`;
  }
  const output = fields.find((field) => field.name === found.output_field_id);
  const value = found.value === null ? "empty" : typeof found.value === "object" ? JSON.stringify(found.value) : String(found.value);
  return output ? `Result: ${value} (into ${output.label})` : `Result: ${value}`;
}

export function sampleValues(options: TryOptions): SampleValues {
  const typed = new Map<string, string>();
  const inputs = h("div", { class: "form-grid sample-inputs" });
  const result = h("p", { class: "try-result", "aria-live": "polite" });
  const run = async () => {
    const calculation = options.calculation();
    result.textContent = "Computing…";
    try {
      const answer = await apiPost<{ calculations: SimulatedCalculation[] }>("/api/step-template/simulate", {
        step_id: options.stepId,
        calculations: [calculation],
        field_values: fieldValues(typed, options.fields),
      });
      result.textContent = resultInWords(answer.calculations.find((entry) => entry.calculation_id === calculation.id), options.fields);
    } catch (error) {
      const problems = error instanceof ApiProblem ? error.errors.map((problem) => problem.message) : [];
      result.textContent = `Error: ${problems.length ? problems.join("; ") : (error as Error).message}`;
    }
  };
  const tryButton = button("Compute", () => void run());
  const empty = h("p", { class: "muted" }, "The formula reads no field yet.");
  const element = h(
    "details",
    { class: "try-value wide formula-try" },
    h("summary", {}, "Try with sample values"),
    inputs,
    h("div", { class: "add-row" }, tryButton),
    result,
  );
  inputs.append(empty);
  const follow = (answer: CheckAnswer | null) => {
    const paths = answer?.paths_read ?? [];
    if (!answer || (!answer.ok && !paths.length)) {
      return;
    }
    const shown = Array.from(inputs.querySelectorAll<HTMLInputElement>("input[data-sample]")).map((input) => input.dataset.sample);
    if (JSON.stringify(shown) === JSON.stringify(paths)) {
      return;
    }
    inputs.replaceChildren(
      ...(paths.length
        ? paths.map((path) => {
            const input = h("input", { value: typed.get(path) ?? "", "data-sample": path, inputmode: "text" });
            input.addEventListener("input", () => typed.set(path, input.value));
            return row(pathLabel(path, options.fields), input);
          })
        : [empty]),
    );
    for (const path of Array.from(typed.keys())) {
      if (!paths.includes(path)) {
        typed.delete(path);
      }
    }
  };
  return { element, follow };
}
