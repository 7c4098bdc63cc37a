export const COORDINATOR_URL = (process.env.COORDINATOR_URL ?? 'http://localhost:8070').replace(/\/+$/, '');
export const API_KEY = process.env.NEXUS_API_KEY;

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A tiny JSON client, like the reference suite's `requests` calls. */
export async function call<T = any>(method: string, path: string, body?: unknown, base = COORDINATOR_URL): Promise<Reply<T>> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (API_KEY) headers.authorization = `Bearer ${API_KEY}`;
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* non-JSON (metrics) */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

export async function waitUntil(cond: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if (await cond()) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
