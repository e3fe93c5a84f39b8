import { type FieldDefinition, type Json, NUMERIC_TYPES, numberOrText } from "./model";

/** A typed sample as the field's value: a number for a numeric field (and for a key inside
 * an object field, ``nested``), true/false for a boolean, JSON for an object or a list. */
export function sampleValue(field: FieldDefinition | undefined, text: string, nested = false): Json {
  if (nested || (field && NUMERIC_TYPES.has(field.field_type))) {
    return numberOrText(text);
  }
  if (field?.field_type === "boolean") {
    return text.trim().toLowerCase() === "true";
  }
  if (field?.field_type === "object" || field?.field_type === "multiselect") {
    try {
      return JSON.parse(text) as Json;
    } catch {
      return text;
    }
  }
  return text;
}
