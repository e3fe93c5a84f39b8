import type { IconTable } from "./icons";
import type { Draft, FieldDefinition, Part } from "./model";

/** The organisation's people, groups and roles, for the pickers that name them. */
export interface Directory {
  people: { username: string; display_name: string; is_active: boolean }[];
  groups: { name: string }[];
  roles: { name: string }[];
}

/** What a tab's controls need from the studio. */
export interface TabContext {
  draft: Draft;
  /** The step being edited (expression checks and simulations name it). */
  stepId: string;
  /** The template and its step the edited step comes from (previews name them). */
  templateId: string;
  templateStepId: string;
  fields: FieldDefinition[];
  directory: Directory;
  /** The step icons' names and symbols. */
  icons: IconTable;
  /** The built-in notification templates' names. */
  messageTemplates: string[];
  /** The template's step names, for actions that move an item to a step. */
  stepNames: string[];
  /** The draft changed in place (typing): mark ``part`` unsaved, keep the controls. */
  changed(part: Part): void;
  /** The draft changed shape (a row added, moved, removed): mark unsaved and redraw the tab. */
  redraw(part: Part): void;
}

export function fieldLabel(fields: FieldDefinition[], name: unknown): string {
  const found = fields.find((field) => field.name === name);
  return found ? `${found.label} (${found.name})` : String(name);
}
