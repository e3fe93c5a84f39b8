// Redrawing replaces the controls; these keep keyboard focus on "the same" control:
// the one editing the same JSON path, the same tab, or the button with the same name.

export interface FocusKey {
  path?: string;
  name?: string;
}

function nameOf(element: HTMLElement): string {
  if (element.dataset.tab) {
    return `tab:${element.dataset.tab}`;
  }
  const labels = (element as HTMLInputElement).labels;
  const label = labels && labels.length ? labels[0]!.textContent : null;
  return (element.getAttribute("aria-label") ?? label ?? element.textContent ?? "").trim();
}

/** What has keyboard focus inside ``root``, in terms that survive a redraw. */
export function focusKey(root: HTMLElement): FocusKey | null {
  const active = document.activeElement;
  if (!(active instanceof HTMLElement) || !root.contains(active)) {
    return null;
  }
  return active.dataset.path ? { path: active.dataset.path } : { name: nameOf(active) };
}

/** Focuses the control ``key`` names, or the tab panel where it is gone. */
export function restoreFocus(root: HTMLElement, key: FocusKey | null): void {
  if (!key) {
    return;
  }
  const candidates = Array.from(root.querySelectorAll<HTMLElement>("button, input, select, textarea"));
  const found = key.path
    ? candidates.find((element) => element.dataset.path === key.path)
    : key.name
      ? candidates.find((element) => nameOf(element) === key.name)
      : undefined;
  if (found && !found.matches(":disabled")) {
    found.focus();
  } else {
    root.querySelector<HTMLElement>("#studio-tabpanel")?.focus();
  }
}
