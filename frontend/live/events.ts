// What the live stream (/api/events/stream) sends, and the window event that passes it on.

export interface LiveEvent {
  kind: string;
  pipeline_id: string | null;
  item_id: string | null;
  step_id: string | null;
  version: number | null;
  unread: number | null;
}

/** Dispatched on window for each item event the page's stream receives. */
export const CHANGE_EVENT = "pacetrack:change";

/** Passed on when the stream opens again after a break: every island re-reads. */
export const RECONNECTED: LiveEvent = {
  kind: "stream.reconnected",
  pipeline_id: null,
  item_id: null,
  step_id: null,
  version: null,
  unread: null,
};
