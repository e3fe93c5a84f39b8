// The board island: drag a card to another column (or use its "Move to…" form) to move
// the item through POST /api/item/move-to-step, the API the item page uses; a refused
// move puts the card back and opens a dialog with every violation. Live events for this
// pipeline re-read the board.

import Sortable from "sortablejs";

import { CHANGE_EVENT, type LiveEvent, RECONNECTED } from "../live/events";
import { ApiProblem, apiPost } from "../studio/api";
import { reloadBoard } from "./refresh";
import { showRefusal } from "./refusal";

interface MoveOut {
  id: string;
  current_step_id: string | null;
  version: number;
}

const REFRESH_DELAY_MS = 100;

function firstText(element: Element | null): string {
  if (!element) {
    return "";
  }
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const text = node.textContent?.trim();
    if (text) {
      return text;
    }
  }
  return "";
}

function stepName(column: HTMLElement): string {
  return column.dataset.step || firstText(column.querySelector("h2, h3")) || "that step";
}

function itemName(card: HTMLElement): string {
  return firstText(card.querySelector("a")) || "This item";
}

class Board {
  private sortables: Sortable[] = [];
  private dragging = false;
  private refreshTimer: number | undefined;
  private refreshing: Promise<void> | null = null;
  private refreshAgain = false;

  constructor(private readonly element: HTMLElement) {}

  get pipelineId(): string {
    return this.element.dataset.pipelineId ?? "";
  }

  mount(): void {
    for (const sortable of this.sortables) {
      sortable.destroy();
    }
    this.sortables = Array.from(this.element.querySelectorAll<HTMLElement>("[data-column-cards]"), (list) =>
      Sortable.create(list, {
        group: "board-cards",
        sort: false,
        animation: 120,
        forceFallback: true,
        filter: "summary, select, button, input, label",
        preventOnFilter: false,
        onStart: () => {
          this.dragging = true;
        },
        onEnd: (event) => {
          this.dragging = false;
          const card = event.item;
          if (event.from !== event.to && event.oldIndex !== undefined) {
            void this.move(card, event.from, event.oldIndex);
          } else if (this.refreshAgain) {
            this.scheduleRefresh();
          }
        },
      }),
    );
  }

  listen(): void {
    this.element.addEventListener("submit", (event) => {
      const form = event.target;
      if (!(form instanceof HTMLFormElement) || !form.matches("[data-card-move]")) {
        return;
      }
      const card = form.closest<HTMLElement>("[data-item-id]");
      const select = form.querySelector<HTMLSelectElement>("select[name=step_id]");
      const list = this.element.querySelector<HTMLElement>(`[data-step-id="${CSS.escape(select?.value ?? "")}"] [data-column-cards]`);
      if (!card || !list || !card.parentElement) {
        return; // the plain form post still works
      }
      event.preventDefault();
      const from = card.parentElement;
      const index = Array.from(from.children).indexOf(card);
      list.append(card);
      void this.move(card, from, index);
    });
    window.addEventListener(CHANGE_EVENT, (event) => {
      const detail = (event as CustomEvent<LiveEvent>).detail;
      if (detail.pipeline_id === this.pipelineId || detail.kind === RECONNECTED.kind) {
        this.scheduleRefresh();
      }
    });
  }

  private putBack(card: HTMLElement, from: HTMLElement, index: number): void {
    from.insertBefore(card, from.children[index] ?? null);
  }

  private async move(card: HTMLElement, from: HTMLElement, index: number): Promise<void> {
    const column = card.closest<HTMLElement>("[data-step-id]");
    const stepId = column?.dataset.stepId;
    const itemId = card.dataset.itemId;
    if (!column || !stepId || !itemId) {
      this.putBack(card, from, index);
      return;
    }
    card.setAttribute("aria-busy", "true");
    try {
      const moved = await apiPost<MoveOut>("/api/item/move-to-step", {
        id: itemId,
        step_id: stepId,
        expected_version: Number(card.dataset.itemVersion),
      });
      card.dataset.itemVersion = String(moved.version);
    } catch (error) {
      this.putBack(card, from, index);
      const problem = error instanceof ApiProblem ? error : null;
      const messages = problem?.errors.map((e) => e.message).filter((m) => m) ?? [];
      const summary =
        problem?.status === 409
          ? "Someone changed this item a moment ago. Close this message to see the board as it is now, then try the move again."
          : problem?.message ?? "The server could not be reached. Try again.";
      showRefusal(
        {
          itemName: itemName(card),
          stepName: stepName(column),
          itemUrl: `/items/${encodeURIComponent(itemId)}?refused_move=${encodeURIComponent(stepId)}#move-summary`,
          summary,
          messages: problem?.status === 422 ? messages : [],
        },
        card.querySelector<HTMLElement>("a"),
      );
    } finally {
      card.removeAttribute("aria-busy");
    }
    this.scheduleRefresh();
  }

  private scheduleRefresh(): void {
    this.refreshAgain = true;
    if (this.dragging || document.getElementById("move-refused")) {
      return; // after the drop (or when the dialog closes)
    }
    window.clearTimeout(this.refreshTimer);
    this.refreshTimer = window.setTimeout(() => void this.refresh(), REFRESH_DELAY_MS);
  }

  private async refresh(): Promise<void> {
    if (this.refreshing) {
      return; // refreshAgain stays set: the running refresh starts another
    }
    this.refreshAgain = false;
    this.refreshing = reloadBoard(this.element)
      .then(() => this.mount())
      .catch(() => undefined)
      .finally(() => {
        this.refreshing = null;
        if (this.refreshAgain) {
          this.scheduleRefresh();
        }
      });
    await this.refreshing;
  }

  afterDialog(): void {
    document.addEventListener(
      "close",
      (event) => {
        if ((event.target as Element).id === "move-refused" && this.refreshAgain) {
          window.setTimeout(() => this.scheduleRefresh(), 0);
        }
      },
      true,
    );
  }
}

const element = document.querySelector<HTMLElement>("[data-board]");
if (element) {
  const board = new Board(element);
  board.mount();
  board.listen();
  board.afterDialog();
  document.documentElement.dataset.boardReady = "true";
}
