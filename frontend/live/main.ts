// Live updates on every signed-in page: one EventSource on /api/events/stream. The
// notification badge in the header follows the unread count; every other event is
// passed on as a `pacetrack:change` event on window, for the page's islands (the board).

import { CHANGE_EVENT, type LiveEvent, RECONNECTED } from "./events";

function updateBadge(unread: number): void {
  const link = document.querySelector<HTMLAnchorElement>("[data-notifications-link]");
  if (!link) {
    return;
  }
  let badge = link.querySelector<HTMLElement>(".badge");
  if (unread <= 0) {
    badge?.remove();
    return;
  }
  if (!badge) {
    badge = document.createElement("span");
    badge.className = "badge";
    link.append(" ", badge);
  }
  badge.textContent = String(unread);
  badge.setAttribute("aria-label", `${unread} unread`);
}

function connect(): void {
  // Only signed-in pages carry the CSRF meta tag; the stream needs the session.
  if (!document.querySelector('meta[name="csrf-token"]') || typeof EventSource === "undefined") {
    return;
  }
  const source = new EventSource("/api/events/stream", { withCredentials: true });
  let opened = false;
  source.addEventListener("open", () => {
    document.documentElement.dataset.live = "connected";
    if (opened) {
      // What changed while the stream was down was not announced: islands re-read.
      window.dispatchEvent(new CustomEvent<LiveEvent>(CHANGE_EVENT, { detail: { ...RECONNECTED } }));
    }
    opened = true;
  });
  source.addEventListener("error", () => {
    document.documentElement.dataset.live = "reconnecting";
  });
  source.addEventListener("message", (message: MessageEvent<string>) => {
    let event: LiveEvent;
    try {
      event = JSON.parse(message.data) as LiveEvent;
    } catch {
      return;
    }
    if (event.kind === "notifications.changed" && event.unread !== null) {
      updateBadge(event.unread);
    } else {
      window.dispatchEvent(new CustomEvent<LiveEvent>(CHANGE_EVENT, { detail: event }));
    }
  });
  window.addEventListener("pagehide", () => source.close());
}

connect();
