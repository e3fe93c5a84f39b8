// Drag-and-drop ordering (SortableJS) with Move up / Move down buttons as the keyboard
// alternative. Both end in the same callback with the list's new order.

import Sortable from "sortablejs";

import { button, h } from "./dom";

/** Moves ``list[from]`` to ``to`` (in place) and returns the list. */
export function moveItem<T>(list: T[], from: number, to: number): T[] {
  const [item] = list.splice(from, 1);
  if (item !== undefined) {
    list.splice(to, 0, item);
  }
  return list;
}

/** Makes ``container``'s children draggable by their ``.drag-handle``. */
export function sortable(container: HTMLElement, onMove: (from: number, to: number) => void): Sortable {
  return Sortable.create(container, {
    handle: ".drag-handle",
    animation: 120,
    forceFallback: true,
    onEnd(event) {
      const { oldIndex, newIndex } = event;
      if (oldIndex !== undefined && newIndex !== undefined && oldIndex !== newIndex) {
        onMove(oldIndex, newIndex);
      }
    },
  });
}

export function dragHandle(what: string): HTMLElement {
  return h("span", { class: "drag-handle", title: `Drag to move ${what}`, "aria-hidden": "true" }, "⠿");
}

/** The Move up / Move down pair for item ``index`` of ``count``. */
export function moveButtons(what: string, index: number, count: number, onMove: (from: number, to: number) => void): HTMLElement {
  return h(
    "span",
    { class: "move-buttons" },
    button("↑", () => onMove(index, index - 1), {
      "aria-label": `Move ${what} up`,
      disabled: index === 0,
      class: "icon-button",
      "data-move": "up",
    }),
    button("↓", () => onMove(index, index + 1), {
      "aria-label": `Move ${what} down`,
      disabled: index === count - 1,
      class: "icon-button",
      "data-move": "down",
    }),
  );
}
