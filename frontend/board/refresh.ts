// Re-reading the board: the page's own URL (with its filters) is fetched again and the
// [data-board] element's contents replaced, keeping keyboard focus and scroll positions.

interface Kept {
  focusId: string | null;
  focusItem: string | null;
  focusIndex: number;
  boardLeft: number;
  pageTop: number;
  columnTops: Map<string, number>;
}

const FOCUSABLE = "a[href], button, select, input, summary, [tabindex]";

function keep(board: HTMLElement): Kept {
  const active = document.activeElement instanceof HTMLElement && board.contains(document.activeElement) ? document.activeElement : null;
  const card = active?.closest<HTMLElement>("[data-item-id]") ?? null;
  const columnTops = new Map<string, number>();
  board.querySelectorAll<HTMLElement>("[data-step-id]").forEach((column) => {
    const list = column.querySelector<HTMLElement>("[data-column-cards]");
    columnTops.set(column.dataset.stepId ?? "", list ? list.scrollTop : column.scrollTop);
  });
  return {
    focusId: active?.id || null,
    focusItem: card?.dataset.itemId ?? null,
    focusIndex: card && active ? Array.from(card.querySelectorAll(FOCUSABLE)).indexOf(active) : -1,
    boardLeft: board.scrollLeft,
    pageTop: window.scrollY,
    columnTops,
  };
}

function restore(board: HTMLElement, kept: Kept): void {
  board.scrollLeft = kept.boardLeft;
  board.querySelectorAll<HTMLElement>("[data-step-id]").forEach((column) => {
    const top = kept.columnTops.get(column.dataset.stepId ?? "");
    const list = column.querySelector<HTMLElement>("[data-column-cards]");
    if (top !== undefined) {
      (list ?? column).scrollTop = top;
    }
  });
  window.scrollTo({ top: kept.pageTop });
  let target: HTMLElement | null = kept.focusId ? document.getElementById(kept.focusId) : null;
  if (!target && kept.focusItem) {
    const card = board.querySelector<HTMLElement>(`[data-item-id="${CSS.escape(kept.focusItem)}"]`);
    const focusables = card ? Array.from(card.querySelectorAll<HTMLElement>(FOCUSABLE)) : [];
    target = focusables[kept.focusIndex] ?? focusables[0] ?? null;
  }
  target?.focus({ preventScroll: true });
}

/** Replaces ``board``'s contents with the current server rendering; false when it could not. */
export async function reloadBoard(board: HTMLElement): Promise<boolean> {
  const response = await fetch(window.location.href, {
    credentials: "same-origin",
    headers: { Accept: "text/html" },
  });
  if (!response.ok) {
    return false;
  }
  const fresh = new DOMParser().parseFromString(await response.text(), "text/html").querySelector("[data-board]");
  if (!fresh) {
    return false;
  }
  const kept = keep(board);
  board.replaceChildren(...Array.from(fresh.childNodes, (node) => document.importNode(node, true)));
  restore(board, kept);
  return true;
}
