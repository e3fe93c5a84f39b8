// A running pipeline's steps in the studio: each shows its effective configuration (the
// template's, with the step's config_overrides in place of the families it overrides),
// and saving sends the step's complete config_overrides.

import type { FieldProblem } from "./api";
import { clone, type Draft, type Family, isObject, type JsonObject, type Part, type StepOut, TABS, type TabKey } from "./model";

/** A step of a pipeline instance (GET /api/pipeline-instance/get). */
export interface InstanceStepOut {
  id: string;
  step_template_id: string;
  name: string;
  order: number;
  config_overrides: JsonObject;
}

export interface InstanceOut {
  id: string;
  pipeline_template_id: string;
  name: string;
  steps: InstanceStepOut[] | null;
}

const PREFIX = "config_overrides.";

/** The step as it runs: the template's step with the overridden families replaced
 * (``metadata`` keys merged over the template's). Its id is the running step's. */
export function effectiveStep(template: StepOut, step: InstanceStepOut): StepOut {
  const overrides = step.config_overrides;
  const effective: StepOut = { ...clone(template), id: step.id, name: step.name, order: step.order };
  for (const [key, value] of Object.entries(overrides)) {
    if (key === "metadata" && isObject(value)) {
      effective.metadata = { ...effective.metadata, ...clone(value) };
    } else if (key === "target_duration_days") {
      effective.target_duration_days = typeof value === "number" ? value : null;
    } else if (key in effective && Array.isArray(value)) {
      (effective as unknown as Record<string, unknown>)[key] = clone(value);
    }
  }
  return effective;
}

/** The override keys a tab shows: its family, and on Settings the target duration too. */
export function overrideKeys(tab: TabKey): string[] {
  const family = TABS.find((entry) => entry.key === tab)!.family;
  return tab === "settings" ? [family, "target_duration_days"] : [family];
}

/** The step's complete overrides after saving ``parts`` of ``draft``, or the problems of
 * the parts a running step cannot override (its name, description, colour and icon). */
export function overridesAfter(
  saved: StepOut,
  overrides: JsonObject,
  draft: Draft,
  parts: Part[],
): { overrides: JsonObject; problems: FieldProblem[] } {
  const next: JsonObject = clone(overrides);
  const problems: FieldProblem[] = [];
  for (const part of parts) {
    if (part !== "settings") {
      next[part] = clone(draft.families[part as Family]);
      continue;
    }
    for (const key of ["name", "description", "color", "icon"] as const) {
      if (draft.settings[key] !== saved[key]) {
        problems.push({ field: key, message: "follows the template: change it in the template's studio" });
      }
    }
    if (JSON.stringify(draft.settings.target_duration_days) !== JSON.stringify(saved.target_duration_days)) {
      next.target_duration_days = draft.settings.target_duration_days;
    }
  }
  return { overrides: next, problems };
}

/** The overrides without those of ``keys``. */
export function overridesWithout(overrides: JsonObject, keys: string[]): JsonObject {
  return Object.fromEntries(Object.entries(overrides).filter(([key]) => !keys.includes(key)));
}

/** Problems about the overrides, with paths as the controls know them (``validations[0].min_value``). */
export function overrideProblems(problems: FieldProblem[]): FieldProblem[] {
  return problems.map((problem) =>
    problem.field.startsWith(PREFIX) ? { ...problem, field: problem.field.slice(PREFIX.length) } : problem,
  );
}
