// Under each automation: its last runs from the automation log (status, duration, error,
// next retry, and Replay for a failed webhook delivery) and its success rate from the
// statistics. Both count the runs of every automation with this id in the organisation.

import { ApiProblem, apiGet, apiPost } from "./api";
import { button, h } from "./dom";

interface Attempt {
  duration_ms: number;
  next_attempt_at: string | null;
}

interface Run {
  id: string;
  status: string;
  error: string | null;
  delivery_id: string | null;
  triggered_at: string;
  finished_at: string | null;
  attempts: Attempt[];
}

interface Stats {
  automation_id: string;
  runs: number;
  succeeded: number;
  failed: number;
  success_rate: number | null;
}

const RUNS_SHOWN = 5;
const STATUS_WORDS: Record<string, string> = { pending: "Pending", succeeded: "Succeeded", failed: "Failed", skipped: "Skipped" };

let stats: Promise<Stats[]> | null = null;

/** The statistics, asked once for all the cards a tab draws at once (then asked afresh). */
function allStats(refresh = false): Promise<Stats[]> {
  if (refresh || !stats) {
    stats = apiGet<Stats[]>("/api/automation/stats");
    setTimeout(() => {
      stats = null;
    }, 0);
  }
  return stats;
}

function when(text: string): string {
  return new Date(text).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

function duration(run: Run): string {
  const last = run.attempts[run.attempts.length - 1];
  const ms = last ? last.duration_ms : run.finished_at ? Date.parse(run.finished_at) - Date.parse(run.triggered_at) : null;
  return ms === null ? "" : `${ms} ms`;
}

function rateInWords(found: Stats | undefined): string {
  if (!found || found.runs === 0) {
    return "No runs yet.";
  }
  const finished = found.succeeded + found.failed;
  const runs = found.runs === 1 ? "1 run" : `${found.runs} runs`;
  if (found.success_rate === null) {
    return `${runs}, none finished yet.`;
  }
  return `Success rate ${Math.round(found.success_rate * 100)}%: ${found.succeeded} of ${finished} finished ${finished === 1 ? "run" : "runs"} succeeded (${runs} in all).`;
}

export function automationRuns(automationId: string): HTMLElement {
  const rate = h("p", { class: "run-rate" });
  const body = h("tbody");
  const status = h("p", { class: "hint replay-status", "aria-live": "polite" });
  const table = h(
    "table",
    { class: "runs" },
    h("caption", { class: "visually-hidden" }, `Last runs of ${automationId}`),
    h("thead", {}, h("tr", {}, ...["When", "Status", "Duration", "Error", "Next retry", ""].map((title) => h("th", { scope: "col" }, title)))),
    body,
  );
  // The table scrolls sideways on a phone: the region takes focus so the keyboard can too.
  const scroller = h("div", { class: "runs-scroll", role: "region", tabindex: 0, "aria-label": `Last runs of ${automationId}` }, table);
  const element = h("div", { class: "automation-runs wide" }, h("h4", {}, "Last runs"), rate, scroller, status);
  const load = async (refresh: boolean) => {
    try {
      const [page, counts] = await Promise.all([
        apiGet<{ runs: Run[] }>("/api/automation-log/list", { automation_id: automationId, limit: String(RUNS_SHOWN) }),
        allStats(refresh),
      ]);
      rate.textContent = rateInWords(counts.find((entry) => entry.automation_id === automationId));
      scroller.hidden = page.runs.length === 0;
      body.replaceChildren(
        ...page.runs.map((run) => {
          const next = run.attempts[run.attempts.length - 1]?.next_attempt_at;
          const replay =
            run.status === "failed" && run.delivery_id
              ? button("Replay", () => void replayRun(run.delivery_id!), { "aria-label": `Replay the run of ${when(run.triggered_at)}`, class: "link-button" })
              : null;
          return h(
            "tr",
            { "data-status": run.status },
            h("td", {}, when(run.triggered_at)),
            h("td", {}, STATUS_WORDS[run.status] ?? run.status),
            h("td", {}, duration(run)),
            h("td", {}, run.error ?? ""),
            h("td", {}, next ? when(next) : ""),
            h("td", {}, replay),
          );
        }),
      );
    } catch {
      rate.textContent = "The run log could not be loaded.";
      scroller.hidden = true;
    }
  };
  const replayRun = async (deliveryId: string) => {
    try {
      await apiPost("/api/webhook-delivery/replay", { delivery_id: deliveryId });
      status.textContent = "Queued to be sent again; its run shows here once the worker has sent it.";
    } catch (error) {
      status.textContent = error instanceof ApiProblem ? `Not replayed: ${error.errors[0]?.message ?? error.message}` : "Not replayed: the server could not be reached.";
    }
    await load(true);
  };
  void load(false);
  return element;
}
