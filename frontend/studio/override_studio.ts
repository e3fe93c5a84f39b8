// The studio on a running pipeline (/admin/pipelines/<id>/studio): the same tabs edit each
// step's overrides of the template. The step list is read-only, since a pipeline's steps
// follow its template; saving sends the step's complete config_overrides.

import type { FieldProblem } from "./api";
import { apiGet, apiPost } from "./api";
import type { OverrideView } from "./editor";
import { type Draft, draftOf, type JsonObject, type Part, type StepOut, type TabKey, type TemplateOut } from "./model";
import {
  effectiveStep,
  type InstanceOut,
  type InstanceStepOut,
  overrideKeys,
  overrideProblems,
  overridesAfter,
  overridesWithout,
} from "./overrides";
import { problemsOf, Studio } from "./studio";

export class OverrideStudio extends Studio {
  private templateSteps = new Map<string, StepOut>();
  private overrides = new Map<string, JsonObject>();
  private sources = new Map<string, string>();

  constructor(
    root: HTMLElement,
    templateId: string,
    private readonly instanceId: string,
  ) {
    super(root, templateId);
  }

  protected override async loadSteps(template: TemplateOut): Promise<StepOut[]> {
    const instance = await apiGet<InstanceOut>("/api/pipeline-instance/get", { id: this.instanceId });
    for (const step of template.steps ?? []) {
      this.templateSteps.set(step.id, step);
    }
    return (instance.steps ?? []).flatMap((step) => {
      const source = this.templateSteps.get(step.step_template_id);
      if (!source) {
        return [];
      }
      this.overrides.set(step.id, step.config_overrides);
      this.sources.set(step.id, step.step_template_id);
      return [effectiveStep(source, step)];
    });
  }

  protected override templateStepOf(step: StepOut): string {
    return this.sources.get(step.id) ?? step.id;
  }

  protected override editsTemplate(): boolean {
    return false;
  }

  protected override overrideView(step: StepOut, tab: TabKey): OverrideView {
    const keys = overrideKeys(tab);
    const overrides = this.overrides.get(step.id) ?? {};
    return {
      overriding: keys.some((key) => key in overrides),
      remove: () => void this.removeOverride(step, keys),
    };
  }

  /** Stores ``overrides`` as the step's; the step shows its new effective configuration. */
  private async store(step: StepOut, overrides: JsonObject): Promise<StepOut> {
    const answer = await apiPost<InstanceStepOut>("/api/pipeline-instance/update-step-overrides", {
      step_id: step.id,
      config_overrides: overrides,
    });
    const source = this.templateSteps.get(answer.step_template_id)!;
    this.overrides.set(step.id, answer.config_overrides);
    const updated = effectiveStep(source, answer);
    this.replaceStep(updated);
    return updated;
  }

  protected override async saveParts(step: StepOut, draft: Draft, parts: Part[]): Promise<{ problems: FieldProblem[]; saved: Part[] }> {
    const next = overridesAfter(step, this.overrides.get(step.id) ?? {}, draft, parts);
    if (next.problems.length) {
      return { problems: next.problems, saved: [] };
    }
    try {
      const kept = draftOf(await this.store(step, next.overrides));
      draft.settings = kept.settings;
      for (const part of parts) {
        if (part !== "settings") {
          draft.families[part] = kept.families[part];
        }
      }
      return { problems: [], saved: parts };
    } catch (error) {
      return { problems: overrideProblems(problemsOf(error, "config_overrides")), saved: [] };
    }
  }

  private async removeOverride(step: StepOut, keys: string[]): Promise<void> {
    try {
      await this.store(step, overridesWithout(this.overrides.get(step.id) ?? {}, keys));
      // The tab shows the template's configuration again; other tabs keep their drafts.
      const draft = this.draft(step);
      const fresh = draftOf(this.steps.find((entry) => entry.id === step.id)!);
      for (const key of keys) {
        if (key === "target_duration_days") {
          draft.settings.target_duration_days = fresh.settings.target_duration_days;
        } else if (key in fresh.families) {
          draft.families[key as keyof Draft["families"]] = fresh.families[key as keyof Draft["families"]];
        }
      }
      draft.problems = [];
      this.say("Override removed: this step uses the template's configuration here.");
    } catch (error) {
      this.draft(step).problems = overrideProblems(problemsOf(error, "config_overrides"));
      this.say("The override could not be removed.", true);
    }
    this.render();
  }
}
