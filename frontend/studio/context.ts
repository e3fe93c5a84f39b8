import type { Draft, FieldDefinition, Part } from "./model";

/** What a tab's controls need from the studio. */
export interface TabContext {
  draft: Draft;
  fields: FieldDefinition[];
  /** The draft changed in place (typing): mark ``part`` unsaved, keep the controls. */
  changed(part: Part): void;
  /** The draft changed shape (a row added, moved, removed): mark unsaved and redraw the tab. */
  redraw(part: Part): void;
}

export function fieldLabel(fields: FieldDefinition[], name: unknown): string {
  const found = fields.find((field) => field.name === name);
  return found ? `${found.label} (${found.name})` : String(name);
}
