// Puts the server's problems next to the controls that caused them. Controls carry
// the JSON path they edit in data-path (``validations[0].min_value``); a problem whose
// path has no control goes to the nearest enclosing element with a path, and failing
// that to the panel's summary.

import type { FieldProblem } from "./api";
import { h, uid } from "./dom";

function parentPath(path: string): string | null {
  const cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
  return cut > 0 ? path.slice(0, cut) : null;
}

function target(panel: HTMLElement, path: string): HTMLElement | null {
  for (let current: string | null = path; current; current = parentPath(current)) {
    const found = panel.querySelector<HTMLElement>(`[data-path="${CSS.escape(current)}"]`);
    if (found) {
      return found;
    }
  }
  return null;
}

function describe(control: HTMLElement, id: string): void {
  const before = control.getAttribute("aria-describedby");
  control.setAttribute("aria-describedby", before ? `${id} ${before}` : id);
  if (control.matches("input, select, textarea")) {
    control.setAttribute("aria-invalid", "true");
  }
}

/** Shows ``problems`` inside ``panel``; returns those no control claimed. */
export function placeProblems(panel: HTMLElement, problems: FieldProblem[]): FieldProblem[] {
  const unplaced: FieldProblem[] = [];
  for (const problem of problems) {
    const control = target(panel, problem.field);
    if (!control) {
      unplaced.push(problem);
      continue;
    }
    const id = uid("problem");
    const message = h("p", { class: "field-error", id, "data-problem-for": problem.field }, problem.message);
    if (control.matches("input, select, textarea")) {
      control.insertAdjacentElement("afterend", message);
    } else {
      control.prepend(message);
    }
    describe(control, id);
  }
  return unplaced;
}

/** A summary of problems, each with its JSON path. */
export function problemList(problems: FieldProblem[]): HTMLElement {
  const items = problems.map((problem) =>
    h("li", {}, problem.field ? h("code", {}, problem.field) : null, problem.field ? ": " : null, problem.message),
  );
  return h("div", { role: "alert" }, h("ul", { class: "problems" }, ...items));
}
