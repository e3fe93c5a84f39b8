// The expression checker behind every formula editor: POST /api/expression/check, the
// same verdict saving the rule would reach, and the language's functions it lists.

import { apiPost } from "./api";

export type ExpressionContext = "validation" | "calculation" | "condition";

export interface ExpressionProblem {
  message: string;
  offset: number;
  line: number;
  column: number;
  suggestion: string | null;
}

export interface FunctionInfo {
  name: string;
  summary: string;
}

export interface CheckAnswer {
  ok: boolean;
  errors: ExpressionProblem[];
  fields_read: string[];
  paths_read: string[];
  result_type: string | null;
  expected_type: string | null;
  output_fields: string[];
  functions: FunctionInfo[];
}

export interface CheckRequest {
  expression: string;
  context: ExpressionContext;
  stepId: string;
  outputFieldId?: string;
}

let functions: Promise<FunctionInfo[]> | null = null;

export async function checkExpression(request: CheckRequest): Promise<CheckAnswer> {
  const body: Record<string, string> = {
    expression: request.expression,
    context: request.context,
    step_id: request.stepId,
  };
  if (request.outputFieldId) {
    body.output_field_id = request.outputFieldId;
  }
  const answer = apiPost<CheckAnswer>("/api/expression/check", body);
  functions ??= answer.then((checked) => checked.functions);
  // A failed first call must not keep the completion list empty for good.
  answer.catch(() => {
    functions = null;
  });
  return answer;
}

/** The language's functions, from the first check's answer (one is made when none was). */
export function knownFunctions(request: CheckRequest): Promise<FunctionInfo[]> {
  return functions ?? checkExpression(request).then((answer) => answer.functions);
}

/** The UTF-16 index of the server's offset, which counts characters (code points). */
export function indexOfOffset(text: string, offset: number): number {
  return Array.from(text).slice(0, offset).join("").length;
}

/** "Line 1, column 7: unknown field `materal`; did you mean `material`?" */
export function problemInWords(problem: ExpressionProblem): string {
  const suggestion = problem.suggestion ? `; did you mean ${problem.suggestion}?` : "";
  return `Line ${problem.line}, column ${problem.column}: ${problem.message}${suggestion}`;
}

const TYPE_WORDS: Record<string, string> = {
  number: "a number",
  text: "text",
  boolean: "true or false",
  date: "a date",
  datetime: "a date and time",
  list: "a list",
  object: "an object",
  null: "nothing (empty)",
  any: "a value known only when it runs",
};

/** "Gives a number." for a valid expression. */
export function resultInWords(answer: CheckAnswer): string {
  const type = answer.result_type ? (TYPE_WORDS[answer.result_type] ?? answer.result_type) : "";
  return type ? `Valid: gives ${type}.` : "Valid.";
}
