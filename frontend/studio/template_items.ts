// The items of the running pipelines made from a template, for the pickers that render or
// simulate against a real item: [item id, "name (pipeline, at step)"], loaded once a page.

import { apiGet } from "./api";

interface Instance {
  id: string;
  name: string;
  steps?: { id: string; name: string }[] | null;
}

interface Item {
  id: string;
  name: string;
  current_step_id: string | null;
}

/** How many items of each pipeline the pickers offer (the most recent first). */
const ITEMS_PER_PIPELINE = 50;
const loaded = new Map<string, Promise<[string, string][]>>();

async function load(templateId: string): Promise<[string, string][]> {
  const instances = await apiGet<Instance[]>("/api/pipeline-instance/list", { pipeline_template_id: templateId });
  const found: [string, string][] = [];
  for (const instance of instances) {
    const [full, page] = await Promise.all([
      apiGet<Instance>("/api/pipeline-instance/get", { id: instance.id }),
      apiGet<{ items: Item[] }>("/api/item/list", { pipeline_instance_id: instance.id, limit: String(ITEMS_PER_PIPELINE) }),
    ]);
    const stepNames = new Map((full.steps ?? []).map((step) => [step.id, step.name]));
    for (const item of page.items) {
      const at = item.current_step_id ? stepNames.get(item.current_step_id) : undefined;
      found.push([item.id, `${item.name} (${instance.name}${at ? `, at ${at}` : ""})`]);
    }
  }
  return found;
}

/** The template's items; none when they cannot be read. */
export function templateItems(templateId: string): Promise<[string, string][]> {
  let items = loaded.get(templateId);
  if (!items) {
    items = load(templateId).catch(() => []);
    loaded.set(templateId, items);
  }
  return items;
}
