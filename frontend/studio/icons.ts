// What the page tells the studio besides the API: the server's fixed table of step
// icons (so the studio offers and shows exactly what the board and item pages show) and
// the names of the built-in notification templates.

export type IconTable = Record<string, string>;

function parsed(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? "null");
  } catch {
    return null;
  }
}

export function readIcons(root: HTMLElement): IconTable {
  const table = parsed(root.dataset.stepIcons);
  if (typeof table !== "object" || table === null || Array.isArray(table)) {
    return {};
  }
  return Object.fromEntries(Object.entries(table).filter((entry): entry is [string, string] => typeof entry[1] === "string"));
}

export function readMessageTemplates(root: HTMLElement): string[] {
  const names = parsed(root.dataset.messageTemplates);
  return Array.isArray(names) ? names.filter((name): name is string => typeof name === "string") : [];
}

/** The symbol of an icon name; an unknown name (or none) has none. */
export function iconSymbol(icons: IconTable, name: string | null): string {
  return name !== null && Object.hasOwn(icons, name) ? icons[name]! : "";
}
