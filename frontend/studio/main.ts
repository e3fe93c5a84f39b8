// The step configuration studio island on /admin/templates/<id>, and on a running
// pipeline's /admin/pipelines/<id>/studio (its steps' overrides).

import { OverrideStudio } from "./override_studio";
import { Studio } from "./studio";

const root = document.getElementById("studio");
const templateId = root?.dataset.templateId;
const instanceId = root?.dataset.instanceId;
if (root && templateId) {
  const studio = instanceId ? new OverrideStudio(root, templateId, instanceId) : new Studio(root, templateId);
  studio.start().catch((error: unknown) => {
    root.replaceChildren();
    const message = document.createElement("p");
    message.className = "alert";
    message.setAttribute("role", "alert");
    message.textContent = `The editor could not load: ${(error as Error).message}`;
    root.append(message);
  });
}
