// The step configuration studio island on /admin/templates/<id>.

import { Studio } from "./studio";

const root = document.getElementById("studio");
const templateId = root?.dataset.templateId;
if (root && templateId) {
  new Studio(root, templateId).start().catch((error: unknown) => {
    root.replaceChildren();
    const message = document.createElement("p");
    message.className = "alert";
    message.setAttribute("role", "alert");
    message.textContent = `The editor could not load: ${(error as Error).message}`;
    root.append(message);
  });
}
