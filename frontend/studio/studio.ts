// The studio's state and its calls to the JSON API. Drafts live per step until saved,
// so switching tabs or steps never loses an edit; leaving the page with unsaved
// drafts asks first.

import { ApiProblem, apiGet, apiPost, type FieldProblem } from "./api";
import type { Directory, TabContext } from "./context";
import { h } from "./dom";
import { type EditorActions, type OverrideView, renderEditor } from "./editor";
import {
  clone,
  type Draft,
  draftOf,
  FAMILIES,
  type FieldDefinition,
  isObject,
  type Json,
  type Part,
  type StepOut,
  type TabKey,
  type TemplateOut,
  TABS,
  unsavedParts,
} from "./model";
import { focusKey, restoreFocus } from "./focus";
import { type IconTable, readIcons, readMessageTemplates } from "./icons";
import { placeProblems } from "./problems";
import { moveItem } from "./sortable_list";
import { SimulatePanel } from "./simulate_panel";
import { renderStepList } from "./step_list";

const FAMILY_ENDPOINT: Record<string, string> = {
  field_configs: "update-field-configs",
  validations: "update-validations",
  assignments: "update-assignments",
  notifications: "update-notifications",
  automations: "update-automations",
  calculations: "update-calculations",
  metadata: "update-metadata",
};

export function problemsOf(error: unknown, field: string): FieldProblem[] {
  if (error instanceof ApiProblem) {
    return error.errors.length ? error.errors : [{ field, message: error.message }];
  }
  return [{ field, message: "The server could not be reached; nothing was saved." }];
}

export class Studio {
  protected steps: StepOut[] = [];
  private fields: FieldDefinition[] = [];
  private directory: Directory = { people: [], groups: [], roles: [] };
  protected drafts = new Map<string, Draft>();
  private selected: string | null = null;
  protected tab: TabKey = "fields";
  private jsonTabs = new Set<TabKey>();
  private readonly status = h("p", { class: "notice studio-status", role: "status", "aria-live": "polite" });
  private readonly alert = h("div", { class: "studio-alert" });
  private readonly layout = h("div", { class: "studio-layout" });
  private readonly icons: IconTable;
  private readonly messageTemplates: string[];
  private simulator: SimulatePanel | null = null;

  constructor(
    private readonly root: HTMLElement,
    protected readonly templateId: string,
  ) {
    this.icons = readIcons(root);
    this.messageTemplates = readMessageTemplates(root);
  }

  async start(): Promise<void> {
    const [template, fields, people, groups, roles] = await Promise.all([
      apiGet<TemplateOut>("/api/pipeline-template/get", { id: this.templateId }),
      apiGet<FieldDefinition[]>("/api/field-definition/list"),
      apiGet<Directory["people"]>("/api/account/list", { include_inactive: "false" }),
      apiGet<Directory["groups"]>("/api/account-group/list"),
      apiGet<Directory["roles"]>("/api/role/list"),
    ]);
    this.fields = fields;
    this.directory = { people, groups, roles };
    this.steps = await this.loadSteps(template);
    this.simulator = this.editsTemplate() ? new SimulatePanel(this.templateId, fields) : null;
    const wanted = location.hash.startsWith("#step-") ? location.hash.slice(6) : null;
    this.selected = this.steps.find((step) => step.id === wanted)?.id ?? this.steps[0]?.id ?? null;
    this.root.replaceChildren(this.status, this.alert, this.layout);
    window.addEventListener("beforeunload", (event) => {
      if (this.anyUnsaved()) {
        event.preventDefault();
        event.returnValue = "";
      }
    });
    this.render();
  }

  /** The steps the studio edits. */
  protected async loadSteps(template: TemplateOut): Promise<StepOut[]> {
    return template.steps ?? [];
  }

  /** Whether the studio edits the template itself (its step list, add, delete, simulate). */
  protected editsTemplate(): boolean {
    return true;
  }

  /** The template's step ``step`` is (itself, in the template's studio). */
  protected templateStepOf(step: StepOut): string {
    return step.id;
  }

  /** For a running pipeline's step: which part of ``tab`` overrides the template. */
  protected overrideView(_step: StepOut, _tab: TabKey): OverrideView | undefined {
    return undefined;
  }

  protected draft(step: StepOut): Draft {
    let draft = this.drafts.get(step.id);
    if (!draft) {
      draft = draftOf(step);
      this.drafts.set(step.id, draft);
    }
    return draft;
  }

  private unsaved(step: StepOut): Set<string> {
    const draft = this.drafts.get(step.id);
    const parts = new Set<string>(draft ? unsavedParts(step, draft) : []);
    if (draft && Object.keys(draft.jsonText).length) {
      parts.add("json");
    }
    return parts;
  }

  private anyUnsaved(): boolean {
    return this.steps.some((step) => this.unsaved(step).size > 0);
  }

  private current(): StepOut | undefined {
    return this.steps.find((step) => step.id === this.selected);
  }

  protected say(message: string, trouble = false): void {
    this.status.textContent = message;
    this.status.classList.toggle("notice", !trouble);
    this.status.classList.toggle("alert", trouble);
  }

  private refuse(problems: FieldProblem[], scope?: HTMLElement): void {
    const unplaced = scope ? placeProblems(scope, problems) : problems;
    this.alert.replaceChildren(
      ...(unplaced.length ? [h("div", { class: "alert", role: "alert" }, ...unplaced.map((p) => h("p", {}, p.message)))] : []),
    );
  }

  render(): void {
    const focus = focusKey(this.layout);
    const list = renderStepList(this.steps, this.selected, {
      select: (id) => this.select(id),
      move: (from, to) => void this.reorder(from, to),
      add: (name) => void this.addStep(name),
      icons: this.icons,
      readOnly: !this.editsTemplate(),
      unsaved: (id) => {
        const step = this.steps.find((entry) => entry.id === id);
        return step ? this.unsaved(step).size > 0 : false;
      },
    });
    const step = this.current();
    const editor = step ? this.renderEditor(step) : h("section", { class: "card studio-editor" }, h("p", { class: "muted" }, "Add a step to configure it."));
    const main = h("div", { class: "studio-main" }, editor);
    if (step && this.simulator) {
      this.simulator.show(step.id, this.draft(step));
      main.append(this.simulator.element);
    }
    this.layout.replaceChildren(list, main);
    restoreFocus(this.layout, focus);
  }

  private renderEditor(step: StepOut): HTMLElement {
    const draft = this.draft(step);
    const ctx: TabContext = {
      draft,
      stepId: step.id,
      templateId: this.templateId,
      templateStepId: this.templateStepOf(step),
      fields: this.fields,
      directory: this.directory,
      icons: this.icons,
      messageTemplates: this.messageTemplates,
      stepNames: this.steps.map((entry) => entry.name),
      changed: () => this.markUnsaved(),
      redraw: () => this.render(),
    };
    const actions: EditorActions = {
      save: () => void this.save(),
      discard: () => {
        this.drafts.delete(step.id);
        this.say("Changes discarded.");
        this.render();
      },
      duplicate: () => void this.duplicate(step),
      remove: () => void this.remove(step),
      selectTab: (tab) => {
        this.tab = tab;
        this.say("");
        this.render();
      },
      toggleJson: (tab) => this.toggleJson(tab, draft),
      jsonText: (tab, text, value) => {
        if (value === undefined) {
          draft.jsonText[tab] = text;
        } else {
          delete draft.jsonText[tab];
          this.applyJson(tab, draft, value);
        }
        this.markUnsaved();
      },
    };
    return renderEditor({
      step,
      draft,
      tab: this.tab,
      json: this.jsonTabs.has(this.tab),
      unsaved: this.unsaved(step),
      ctx,
      actions,
      override: this.overrideView(step, this.tab),
    });
  }

  /** Typing changed a draft: refresh the unsaved marks without redrawing the inputs. */
  private markUnsaved(): void {
    const step = this.current();
    if (!step) {
      return;
    }
    const unsaved = this.unsaved(step);
    const entry = this.layout.querySelector(`[data-step="${step.id}"] .step-select`);
    if (entry && !entry.querySelector(".unsaved-mark") && unsaved.size) {
      entry.append(h("span", { class: "unsaved-mark" }, " • unsaved"));
    }
    for (const tab of TABS) {
      const button = this.layout.querySelector(`[data-tab="${tab.key}"]`);
      const changed = unsaved.has(tab.family) || (tab.key === "settings" && unsaved.has("settings"));
      if (button && changed && !button.querySelector(".unsaved-mark")) {
        button.append(h("span", { class: "unsaved-mark", title: "unsaved changes" }, " •"));
      }
    }
    const discard = Array.from(this.layout.querySelectorAll("button")).find((b) => b.textContent === "Discard changes");
    if (discard) {
      discard.disabled = unsaved.size === 0;
    }
  }

  private applyJson(tab: TabKey, draft: Draft, value: Json): void {
    if (tab !== "settings") {
      draft.families[TABS.find((entry) => entry.key === tab)!.family] = value;
      return;
    }
    if (!isObject(value)) {
      draft.jsonText[tab] = JSON.stringify(value);
      return;
    }
    const { metadata, ...settings } = value;
    draft.settings = { ...draft.settings, ...(settings as object) } as Draft["settings"];
    draft.families.metadata = metadata ?? {};
  }

  private toggleJson(tab: TabKey, draft: Draft): void {
    if (this.jsonTabs.has(tab)) {
      if (draft.jsonText[tab] !== undefined) {
        this.say("The JSON is not valid yet: correct it before going back to the controls.", true);
        return;
      }
      this.jsonTabs.delete(tab);
      this.say("");
    } else {
      this.jsonTabs.add(tab);
    }
    this.render();
  }

  private select(id: string): void {
    this.selected = id;
    history.replaceState(null, "", `#step-${id}`);
    this.render();
  }

  protected replaceStep(updated: StepOut): void {
    this.steps = this.steps.map((step) => (step.id === updated.id ? updated : step));
  }

  async save(): Promise<void> {
    const step = this.current();
    if (!step) {
      return;
    }
    const draft = this.draft(step);
    const pending = Object.keys(draft.jsonText) as TabKey[];
    if (pending.length) {
      draft.problems = pending.map((tab) => ({
        field: tab === "settings" ? "metadata" : TABS.find((entry) => entry.key === tab)!.family,
        message: "not valid JSON yet; nothing was saved",
      }));
      this.say("Not saved: correct the JSON first.", true);
      this.render();
      return;
    }
    const parts: Part[] = unsavedParts(step, draft);
    if (!parts.length) {
      this.say("Nothing to save.");
      return;
    }
    const { problems, saved } = await this.saveParts(step, draft, parts);
    draft.problems = problems;
    if (problems.length) {
      const first = problems[0]!.field;
      const tab = TABS.find((entry) => entry.family === first.split(/[.[]/, 1)[0]);
      this.tab = tab?.key ?? "settings";
      this.say(`Not saved: ${problems.length} problem${problems.length === 1 ? "" : "s"} to correct${saved.length ? " (the other changes were saved)" : ""}.`, true);
    } else {
      this.say("Saved.");
    }
    this.render();
    this.layout.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }

  /** Saves ``parts`` of ``draft``; answers the problems and the parts saved. */
  protected async saveParts(step: StepOut, draft: Draft, parts: Part[]): Promise<{ problems: FieldProblem[]; saved: Part[] }> {
    const problems: FieldProblem[] = [];
    const saved: Part[] = [];
    for (const part of parts) {
      try {
        const updated =
          part === "settings"
            ? await apiPost<StepOut>("/api/step-template/update", { id: step.id, ...draft.settings })
            : await apiPost<StepOut>(`/api/step-template/${FAMILY_ENDPOINT[part]}`, { id: step.id, [part]: draft.families[part] });
        // The answer is the whole stored step: it becomes the saved state, and the part
        // just saved takes its normalised form (field ids become names); parts not yet
        // saved stay as drafted.
        const kept = draftOf(updated);
        if (part === "settings") {
          draft.settings = kept.settings;
        } else {
          draft.families[part] = kept.families[part];
        }
        this.replaceStep(updated);
        saved.push(part);
      } catch (error) {
        problems.push(...problemsOf(error, part === "settings" ? "name" : part));
      }
    }
    return { problems, saved };
  }

  private async reorder(from: number, to: number): Promise<void> {
    if (to < 0 || to >= this.steps.length) {
      return;
    }
    const moved = this.steps[from]!;
    moveItem(this.steps, from, to);
    this.render();
    try {
      const ordered = await apiPost<StepOut[]>("/api/step-template/reorder", {
        pipeline_template_id: this.templateId,
        step_ids: this.steps.map((step) => step.id),
      });
      const orders = new Map(ordered.map((step) => [step.id, step.order]));
      this.steps = this.steps.map((step) => ({ ...step, order: orders.get(step.id) ?? step.order }));
      this.refuse([]);
      this.say(`${moved.name} is now step ${to + 1}.`);
    } catch (error) {
      moveItem(this.steps, to, from);
      this.refuse(problemsOf(error, "step_ids"));
    }
    this.render();
    const direction = to < from ? "up" : "down";
    const button =
      this.layout.querySelector<HTMLButtonElement>(`[data-step="${moved.id}"] [data-move="${direction}"]:not([disabled])`) ??
      this.layout.querySelector<HTMLButtonElement>(`[data-step="${moved.id}"] [data-move]:not([disabled])`);
    button?.focus();
  }

  private async addStep(name: string): Promise<void> {
    try {
      const created = await apiPost<StepOut>("/api/step-template/create", { pipeline_template_id: this.templateId, name });
      this.steps.push(created);
      this.selected = created.id;
      this.tab = "settings";
      this.refuse([]);
      this.say(`Added ${created.name}.`);
      this.render();
    } catch (error) {
      this.render();
      this.refuse(problemsOf(error, "name"), this.layout.querySelector<HTMLElement>(".studio-steps form") ?? undefined);
      this.layout.querySelector<HTMLInputElement>(".studio-steps form input")!.value = name;
    }
  }

  private copyName(name: string): string {
    const taken = new Set(this.steps.map((step) => step.name));
    for (let n = 1; ; n += 1) {
      const candidate = n === 1 ? `${name} (copy)` : `${name} (copy ${n})`;
      if (!taken.has(candidate)) {
        return candidate.slice(0, 200);
      }
    }
  }

  /** A new step with the saved configuration of ``step``, placed right after it. */
  private async duplicate(step: StepOut): Promise<void> {
    const body: Record<string, Json> = {
      pipeline_template_id: this.templateId,
      name: this.copyName(step.name),
      description: step.description,
      target_duration_days: step.target_duration_days,
      color: step.color,
      icon: step.icon,
    };
    for (const family of FAMILIES) {
      body[family] = clone(step[family]) as Json;
    }
    try {
      const created = await apiPost<StepOut>("/api/step-template/create", body);
      const at = this.steps.findIndex((entry) => entry.id === step.id) + 1;
      this.steps.splice(at, 0, created);
      const ordered = await apiPost<StepOut[]>("/api/step-template/reorder", {
        pipeline_template_id: this.templateId,
        step_ids: this.steps.map((entry) => entry.id),
      });
      this.steps = ordered;
      this.selected = created.id;
      this.refuse([]);
      this.say(`Added ${created.name}${this.unsaved(step).size ? " (from the saved configuration; unsaved changes were not copied)" : ""}.`);
    } catch (error) {
      this.refuse(problemsOf(error, "name"));
    }
    this.render();
  }

  private async remove(step: StepOut): Promise<void> {
    if (!window.confirm(`Delete the step ${step.name}? Its configuration is deleted with it.`)) {
      return;
    }
    try {
      await apiPost<void>("/api/step-template/delete", { id: step.id });
      const at = this.steps.findIndex((entry) => entry.id === step.id);
      this.steps.splice(at, 1);
      this.drafts.delete(step.id);
      this.selected = this.steps[Math.min(at, this.steps.length - 1)]?.id ?? null;
      this.refuse([]);
      this.say(`Deleted ${step.name}.`);
    } catch (error) {
      this.refuse(problemsOf(error, "id"));
    }
    this.render();
  }
}
