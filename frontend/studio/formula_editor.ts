// The formula editor: a CodeMirror 6 view with completion of the tenant's field names and
// the language's functions, and the server's verdict as you type: the error marked where
// it is, with its line and column in words under the editor.

import { autocompletion, type CompletionContext, type CompletionResult, completionKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { type Diagnostic, linter, lintKeymap } from "@codemirror/lint";
import { EditorState, StateEffect } from "@codemirror/state";
import { EditorView, keymap, placeholder } from "@codemirror/view";
import { type CheckAnswer, type CheckRequest, checkExpression, type ExpressionProblem, indexOfOffset, knownFunctions, problemInWords, resultInWords } from "./formula_check";
import { h, uid } from "./dom";
import type { FieldDefinition, JsonObject } from "./model";

export interface FormulaOptions {
  label: string | Node;
  value: string;
  /** What the check needs besides the text (context, step, output field). */
  request: () => Omit<CheckRequest, "expression">;
  fields: FieldDefinition[];
  onChange(text: string): void;
  /** Each verdict on the current text (the sample-values form and output picker follow it). */
  onAnswer?(answer: CheckAnswer | null): void;
  /** A JSON path for the server's problems on save. */
  path?: string;
  hint?: string;
  singleLine?: boolean;
  placeholder?: string;
}

export interface FormulaEditor {
  element: HTMLElement;
  view: EditorView;
  /** Checks the text again (the output field changed). */
  recheck(): void;
}

/** Asks the linter to check the unchanged text again (what it is checked against changed). */
const recheckEffect = StateEffect.define<null>();

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/;

function completionSource(options: FormulaOptions) {
  return async (context: CompletionContext): Promise<CompletionResult | null> => {
    const word = context.matchBefore(/[A-Za-z_][A-Za-z0-9_.]*/);
    if ((!word || word.from === word.to) && !context.explicit) {
      return null;
    }
    if (word?.text.includes(".")) {
      // A key inside an object field: its keys are not known before it has values.
      return null;
    }
    const functions = await knownFunctions({ ...options.request(), expression: context.state.doc.toString() }).catch(() => []);
    return {
      from: word ? word.from : context.pos,
      options: [
        ...options.fields.map((field) => ({ label: field.name, detail: `${field.label}, ${field.field_type}`, type: "variable", boost: 1 })),
        ...functions.map((fn) => ({ label: fn.name, detail: fn.summary, type: "function", apply: `${fn.name}(` })),
      ],
      validFor: /^[A-Za-z_][A-Za-z0-9_]*$/,
    };
  };
}

function diagnostic(text: string, problem: ExpressionProblem): Diagnostic {
  const start = Math.min(indexOfOffset(text, problem.offset), text.length);
  const word = IDENTIFIER.exec(text.slice(start));
  const length = word && word.index === 0 ? word[0].length : 1;
  const from = start >= text.length ? Math.max(0, text.length - 1) : start;
  const to = Math.min(text.length, Math.max(from + 1, start + length));
  const suggestion = problem.suggestion;
  return {
    from,
    to,
    severity: "error",
    message: problemInWords(problem),
    actions: suggestion
      ? [{ name: `Use ${suggestion}`, apply: (view, at, end) => view.dispatch({ changes: { from: at, to: end, insert: suggestion } }) }]
      : [],
  };
}

export function formulaEditor(options: FormulaOptions): FormulaEditor {
  const labelId = uid("formula-label");
  const verdictId = uid("formula-verdict");
  const hintId = options.hint ? uid("formula-hint") : null;
  const verdict = h("p", { class: "formula-verdict hint", id: verdictId, "aria-live": "polite" });
  const show = (answer: CheckAnswer | null) => {
    const problem = answer?.errors[0];
    verdict.textContent = !answer ? "" : problem ? problemInWords(problem) : resultInWords(answer);
    verdict.classList.toggle("field-error", Boolean(problem));
    verdict.classList.toggle("formula-ok", Boolean(answer && !problem));
    options.onAnswer?.(answer);
  };
  const lint = linter(
    async (view): Promise<Diagnostic[]> => {
      const text = view.state.doc.toString();
      if (!view.dom.isConnected) {
        // A redrawn tab left this editor behind: nothing to check.
        return [];
      }
      if (!text.trim()) {
        show(null);
        return [];
      }
      let answer: CheckAnswer;
      try {
        answer = await checkExpression({ ...options.request(), expression: text });
      } catch {
        verdict.textContent = "The expression could not be checked: the server did not answer.";
        return [];
      }
      if (view.state.doc.toString() !== text) {
        return [];
      }
      show(answer);
      return answer.errors.map((problem) => diagnostic(text, problem));
    },
    { delay: 350, needsRefresh: (update) => update.transactions.some((tr) => tr.effects.some((effect) => effect.is(recheckEffect))) },
  );
  const describedBy = [verdictId, hintId].filter(Boolean).join(" ");
  const view = new EditorView({
    state: EditorState.create({
      doc: options.value,
      extensions: [
        history(),
        keymap.of([...completionKeymap, ...lintKeymap, ...historyKeymap, ...defaultKeymap]),
        autocompletion({ override: [completionSource(options)], activateOnTyping: true }),
        lint,
        EditorView.lineWrapping,
        placeholder(options.placeholder ?? ""),
        EditorView.contentAttributes.of({
          "aria-labelledby": labelId,
          "aria-describedby": describedBy,
          "aria-multiline": options.singleLine ? "false" : "true",
          spellcheck: "false",
        }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) {
            options.onChange(update.state.doc.toString());
          }
        }),
        ...(options.singleLine ? [EditorState.transactionFilter.of((tr) => (tr.newDoc.lines > 1 ? [] : tr))] : []),
      ],
    }),
  });
  const box = h("div", { class: `formula-editor${options.singleLine ? " single-line" : ""}` });
  box.append(view.dom);
  const element = h(
    "div",
    { class: "form-row formula-row", ...(options.path ? { "data-path": options.path } : {}) },
    h("label", { id: labelId, onclick: () => view.focus() }, options.label),
    box,
    verdict,
    hintId ? h("p", { class: "hint", id: hintId }, options.hint!) : null,
  );
  const recheck = () => view.dispatch({ effects: recheckEffect.of(null) });
  return { element, view, recheck };
}

/** A one-line condition (visible_when, required_when, a rule's condition) bound to
 * ``holder[key]``; an empty condition removes the key (always true). */
export function conditionEditor(options: {
  label: string | Node;
  holder: JsonObject;
  key: string;
  path: string;
  stepId: string;
  fields: FieldDefinition[];
  changed(): void;
}): HTMLElement {
  const { holder, key } = options;
  return formulaEditor({
    label: options.label,
    value: typeof holder[key] === "string" ? (holder[key] as string) : "",
    path: options.path,
    fields: options.fields,
    singleLine: true,
    placeholder: "always",
    request: () => ({ context: "condition", stepId: options.stepId }),
    onChange: (text) => {
      if (text.trim()) {
        holder[key] = text;
      } else {
        delete holder[key];
      }
      options.changed();
    },
  }).element;
}
