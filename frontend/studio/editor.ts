// The selected step's editor: Save / Discard / Duplicate / Delete, the seven tabs, and
// for each tab its controls or its "Edit as JSON" box.

import type { FieldProblem } from "./api";
import { renderAssignmentsTab } from "./assignments_tab";
import { renderAutomationsTab } from "./automations_tab";
import { renderCalculationsTab } from "./calculations_tab";
import type { TabContext } from "./context";
import { button, h } from "./dom";
import { renderFieldsTab } from "./fields_tab";
import { renderJsonEditor } from "./json_editor";
import { renderNotificationsTab } from "./notifications_tab";
import { type Draft, type Json, partOfPath, type StepOut, TABS, type TabKey } from "./model";
import { placeProblems, problemList } from "./problems";
import { renderSettingsTab } from "./settings_tab";
import { renderValidationsTab } from "./validations_tab";

export interface EditorActions {
  save(): void;
  discard(): void;
  duplicate(): void;
  remove(): void;
  selectTab(tab: TabKey): void;
  toggleJson(tab: TabKey): void;
  /** The tab's JSON text changed: the parsed value, or the text to keep as typed. */
  jsonText(tab: TabKey, text: string, value: Json | undefined): void;
}

/** On a running pipeline's step: whether the tab's part overrides the template. */
export interface OverrideView {
  overriding: boolean;
  /** Drops the tab's override: the step follows the template's again. */
  remove(): void;
}

function overrideBanner(view: OverrideView): HTMLElement {
  if (!view.overriding) {
    return h("p", { class: "override-note muted" }, "Follows the template. Saving a change here overrides the template for this pipeline.");
  }
  return h(
    "div",
    { class: "override-banner", role: "note" },
    h("strong", {}, "Overriding the template"),
    h("span", {}, " This pipeline uses its own configuration here, not the template's. "),
    button("Remove override (use the template's)", view.remove, { "data-remove-override": "" }),
  );
}

const CONTROLS: Partial<Record<TabKey, (ctx: TabContext) => HTMLElement>> = {
  fields: renderFieldsTab,
  validations: renderValidationsTab,
  assignments: renderAssignmentsTab,
  calculations: renderCalculationsTab,
  notifications: renderNotificationsTab,
  automations: renderAutomationsTab,
  settings: renderSettingsTab,
};

/** The JSON the tab's editor shows: its family, or for Settings the step's own properties with its metadata. */
export function tabValue(tab: TabKey, draft: Draft): Json {
  if (tab === "settings") {
    return { ...draft.settings, metadata: draft.families.metadata };
  }
  const family = TABS.find((entry) => entry.key === tab)!.family;
  return draft.families[family];
}

function problemsOfTab(tab: TabKey, problems: FieldProblem[]): FieldProblem[] {
  const family = TABS.find((entry) => entry.key === tab)!.family;
  return problems.filter((problem) => {
    const part = partOfPath(problem.field);
    return part === family || (tab === "settings" && part === "settings");
  });
}

function tabList(active: TabKey, draft: Draft, unsaved: Set<string>, actions: EditorActions): HTMLElement {
  const list = h("div", { role: "tablist", "aria-label": "Configuration of the step", class: "tabs" });
  TABS.forEach((tab, index) => {
    const selected = tab.key === active;
    const changed = unsaved.has(tab.family) || (tab.key === "settings" && unsaved.has("settings"));
    const troubled = problemsOfTab(tab.key, draft.problems).length > 0;
    const element = h(
      "button",
      {
        type: "button",
        role: "tab",
        id: `tab-${tab.key}`,
        "aria-selected": selected ? "true" : "false",
        "aria-controls": "studio-tabpanel",
        tabindex: selected ? 0 : -1,
        "data-tab": tab.key,
        onclick: () => actions.selectTab(tab.key),
        onkeydown: (event: Event) => {
          const key = (event as KeyboardEvent).key;
          const step = key === "ArrowRight" ? 1 : key === "ArrowLeft" ? -1 : 0;
          if (step) {
            const next = TABS[(index + step + TABS.length) % TABS.length]!;
            actions.selectTab(next.key);
            document.getElementById(`tab-${next.key}`)?.focus();
          }
        },
      },
      tab.label,
      changed ? h("span", { class: "unsaved-mark", title: "unsaved changes" }, " •") : null,
      troubled ? h("span", { class: "problem-mark" }, " (problems)") : null,
    );
    if (changed) {
      element.setAttribute("aria-description", "has unsaved changes");
    }
    list.append(element);
  });
  return list;
}

export function renderEditor(options: {
  step: StepOut;
  draft: Draft;
  tab: TabKey;
  json: boolean;
  unsaved: Set<string>;
  ctx: TabContext;
  actions: EditorActions;
  override?: OverrideView | undefined;
}): HTMLElement {
  const { step, draft, tab, ctx, actions } = options;
  const controls = CONTROLS[tab];
  const asJson = options.json || !controls;
  const label = TABS.find((entry) => entry.key === tab)!.label;
  const problems = problemsOfTab(tab, draft.problems);

  const body = asJson
    ? renderJsonEditor({
        label: `${label} as JSON`,
        value: tabValue(tab, draft),
        pendingText: draft.jsonText[tab],
        path: tab === "settings" ? "metadata" : TABS.find((entry) => entry.key === tab)!.family,
        onText: (text, parsed) => actions.jsonText(tab, text, parsed.ok ? parsed.value : undefined),
      })
    : controls(ctx);
  const panel = h(
    "div",
    { role: "tabpanel", id: "studio-tabpanel", "aria-labelledby": `tab-${tab}`, class: "tabpanel", tabindex: 0 },
    h(
      "div",
      { class: "panel-head" },
      h("h3", {}, label),
      controls
        ? button(asJson ? "Back to controls" : "Edit as JSON", () => actions.toggleJson(tab), {
            "aria-pressed": asJson ? "true" : "false",
            "data-json-toggle": "",
            class: "link-button",
          })
        : h("span", { class: "hint" }, "Edited as JSON; the configuration reference describes each property."),
    ),
    options.override ? overrideBanner(options.override) : null,
    body,
  );
  // In the JSON box every problem of the tab is listed under it; with controls, each
  // problem goes next to its control and the rest into the summary.
  const unplaced = asJson ? problems : placeProblems(panel, problems);
  if (unplaced.length) {
    panel.insertBefore(problemList(unplaced), panel.children[1] ?? null);
  }
  const name = step.name;
  return h(
    "section",
    { class: "card studio-editor", "aria-labelledby": "studio-editor-heading" },
    h(
      "div",
      { class: "editor-head" },
      h("h2", { id: "studio-editor-heading" }, `Step: ${name}`),
      h(
        "div",
        { class: "editor-actions" },
        button("Save step", actions.save, { class: "primary", "data-save": "" }),
        button("Discard changes", actions.discard, { disabled: options.unsaved.size === 0 }),
        ...(options.override
          ? []
          : [
              button("Duplicate", actions.duplicate, { "aria-label": `Duplicate ${name}` }),
              button("Delete", actions.remove, { "aria-label": `Delete ${name}`, class: "danger" }),
            ]),
      ),
    ),
    tabList(tab, draft, options.unsaved, actions),
    panel,
  );
}
