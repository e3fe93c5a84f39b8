// The public JSON API, called with the page's session cookie. Writes carry the
// page's CSRF token in X-CSRF-Token (the API refuses cookie-signed writes without it).

export interface FieldProblem {
  field: string;
  message: string;
}

/** A refused request: the problem+json body, with its per-field errors. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errors: FieldProblem[],
  ) {
    super(message);
  }
}

function csrfToken(): string {
  const meta = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]');
  return meta?.content ?? "";
}

async function answer<T>(response: Response): Promise<T> {
  if (response.status === 204) {
    return undefined as T;
  }
  const body: unknown = await response.json().catch(() => null);
  if (!response.ok) {
    const problem = (body ?? {}) as { detail?: string; title?: string; errors?: FieldProblem[] };
    const message = problem.detail || problem.title || `The server answered ${response.status}.`;
    throw new ApiProblem(response.status, message, Array.isArray(problem.errors) ? problem.errors : []);
  }
  return body as T;
}

export async function apiGet<T>(path: string, query: Record<string, string> = {}): Promise<T> {
  const search = new URLSearchParams(query).toString();
  const response = await fetch(search ? `${path}?${search}` : path, {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  return answer<T>(response);
}

export async function apiPost<T>(path: string, body: unknown): Promise<T> {
  const response = await fetch(path, {
    method: "POST",
    credentials: "same-origin",
    headers: {
      Accept: "application/json",
      "Content-Type": "application/json",
      "X-CSRF-Token": csrfToken(),
    },
    body: JSON.stringify(body),
  });
  return answer<T>(response);
}
