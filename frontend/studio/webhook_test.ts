// The webhook's Test button: the request the automation would send for a sample item
// (POST /api/automation/test), and, when "Really send it" is ticked, the request sent
// once and the receiver's response. Nothing else is written.

import { ApiProblem, apiPost } from "./api";
import { button, h, uid } from "./dom";
import type { JsonObject } from "./model";

interface TestAnswer {
  rendered_request: { url?: string; headers?: Record<string, string>; body?: string; [key: string]: unknown };
  sent: { status_code: number | null; duration_ms: number; error: string | null; response_body: string | null } | null;
}

function pretty(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2);
  } catch {
    return body;
  }
}

function requestView(request: TestAnswer["rendered_request"]): HTMLElement {
  const headers = Object.entries(request.headers ?? {}).map(([name, value]) => `${name}: ${value}`);
  return h(
    "div",
    { class: "webhook-exchange" },
    h("h4", {}, "Request"),
    h("pre", { class: "code", tabindex: 0, "aria-label": "The request" }, [`POST ${request.url ?? ""}`, ...headers, "", pretty(request.body ?? "")].join("\n")),
  );
}

function responseView(sent: NonNullable<TestAnswer["sent"]>): HTMLElement {
  const status = sent.status_code === null ? "No response" : `HTTP ${sent.status_code}`;
  return h(
    "div",
    { class: "webhook-exchange" },
    h("h4", {}, "Response"),
    h("p", {}, `${status} after ${sent.duration_ms} ms${sent.error ? `: ${sent.error}` : ""}`),
    sent.response_body ? h("pre", { class: "code", tabindex: 0, "aria-label": "The response body" }, pretty(sent.response_body)) : null,
  );
}

/** The Test controls of a webhook automation ``rule`` as drafted. */
export function webhookTest(rule: JsonObject): HTMLElement {
  const sendId = uid("send");
  const send = h("input", { type: "checkbox", id: sendId });
  const output = h("div", { class: "webhook-result", "aria-live": "polite" });
  const run = async () => {
    output.replaceChildren(h("p", { class: "muted" }, send.checked ? "Sending…" : "Rendering…"));
    try {
      const answer = await apiPost<TestAnswer>("/api/automation/test", { automation: rule, sample: { name: "Sample item" }, send: send.checked });
      output.replaceChildren(
        h("p", { class: "hint" }, answer.sent ? "Sent once, for a sample item named Sample item (no retries)." : "Not sent: the request it would make for a sample item named Sample item."),
        requestView(answer.rendered_request),
        ...(answer.sent ? [responseView(answer.sent)] : []),
      );
    } catch (error) {
      const problems = error instanceof ApiProblem && error.errors.length ? error.errors.map((problem) => problem.message) : [(error as Error).message];
      output.replaceChildren(h("div", { class: "alert", role: "alert" }, h("p", {}, "The test could not run:"), h("ul", {}, ...problems.map((message) => h("li", {}, message)))));
    }
  };
  return h(
    "div",
    { class: "webhook-test wide" },
    h(
      "div",
      { class: "add-row" },
      button("Test", () => void run(), { "aria-describedby": `${sendId}-hint` }),
      h("label", { class: "toggle", for: sendId }, send, " Really send it"),
      h("p", { class: "hint", id: `${sendId}-hint` }, "Without the tick, only shows the request."),
    ),
    output,
  );
}
