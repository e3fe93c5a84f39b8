// What the studio edits: the API's step templates, and a draft per step that holds
// unsaved changes until "Save step" sends them.

import type { FieldProblem } from "./api";

export const FAMILIES = [
  "field_configs",
  "validations",
  "assignments",
  "notifications",
  "automations",
  "calculations",
  "metadata",
] as const;
export type Family = (typeof FAMILIES)[number];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface StepOut {
  id: string;
  pipeline_template_id: string;
  name: string;
  description: string;
  order: number;
  target_duration_days: number | null;
  color: string | null;
  icon: string | null;
  field_configs: Json[];
  validations: Json[];
  assignments: Json[];
  notifications: Json[];
  automations: Json[];
  calculations: Json[];
  metadata: JsonObject;
}

export interface TemplateOut {
  id: string;
  name: string;
  steps: StepOut[] | null;
}

export interface FieldDefinition {
  name: string;
  label: string;
  field_type: string;
  options: string[];
}

/** The step's own properties (POST /api/step-template/update). */
export interface StepSettings {
  name: string;
  description: string;
  target_duration_days: Json;
  color: string | null;
  icon: string | null;
}

export const TABS = [
  { key: "fields", label: "Fields", family: "field_configs" },
  { key: "validations", label: "Validations", family: "validations" },
  { key: "assignments", label: "Assignments", family: "assignments" },
  { key: "notifications", label: "Notifications", family: "notifications" },
  { key: "automations", label: "Automations", family: "automations" },
  { key: "calculations", label: "Calculations", family: "calculations" },
  { key: "settings", label: "Settings", family: "metadata" },
] as const;
export type TabKey = (typeof TABS)[number]["key"];
export type Part = Family | "settings";

export interface Draft {
  settings: StepSettings;
  families: Record<Family, Json>;
  /** The text of a tab's "Edit as JSON" box while it does not parse yet. */
  jsonText: Partial<Record<TabKey, string>>;
  /** The server's problems from the last save, by JSON path. */
  problems: FieldProblem[];
}

export function clone<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function settingsOf(step: StepOut): StepSettings {
  return {
    name: step.name,
    description: step.description,
    target_duration_days: step.target_duration_days,
    color: step.color,
    icon: step.icon,
  };
}

export function draftOf(step: StepOut): Draft {
  const families = {} as Record<Family, Json>;
  for (const family of FAMILIES) {
    families[family] = clone(step[family]) as Json;
  }
  return { settings: settingsOf(step), families, jsonText: {}, problems: [] };
}

/** The part a problem's JSON path belongs to. */
export function partOfPath(path: string): Part {
  const head = path.split(/[.[]/, 1)[0] ?? "";
  return (FAMILIES as readonly string[]).includes(head) ? (head as Family) : "settings";
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A number where the text is one, else the text as typed (the server says what is wrong). */
export function numberOrText(text: string): Json {
  const trimmed = text.trim();
  if (trimmed === "") {
    return null;
  }
  const number = Number(trimmed);
  return Number.isFinite(number) ? number : trimmed;
}

export const NUMERIC_TYPES = new Set(["number", "currency", "percentage"]);
export const DATE_TYPES = new Set(["date", "datetime"]);
/** Field types field_pattern can check (the server refuses the others). */
export const TEXT_TYPES = new Set(["text", "long_text", "dropdown", "email", "url", "user"]);

/** The parts of ``draft`` that differ from the saved ``step``. */
export function unsavedParts(step: StepOut, draft: Draft): Part[] {
  const parts: Part[] = [];
  if (JSON.stringify(draft.settings) !== JSON.stringify(settingsOf(step))) {
    parts.push("settings");
  }
  for (const family of FAMILIES) {
    if (JSON.stringify(draft.families[family]) !== JSON.stringify(step[family])) {
      parts.push(family);
    }
  }
  return parts;
}
