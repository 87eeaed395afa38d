export interface SseEvent {
  event?: string;
  data: unknown;
}

/** Parses a complete server-sent-events body: frames split by a blank line, `event:` and `data:` lines, data as JSON. */
export function parseSse(text: string): SseEvent[] {
  const events: SseEvent[] = [];
  for (const frame of text.split(/\r?\n\r?\n/)) {
    if (!frame.trim()) continue;
    let event: string | undefined;
    const data: string[] = [];
    for (const line of frame.split(/\r?\n/)) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    events.push({ ...(event ? { event } : {}), data: JSON.parse(data.join('\n')) as unknown });
  }
  return events;
}

/** POSTs JSON and returns the response with its SSE events parsed. */
export async function postSse(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; events: SseEvent[] }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, events: parseSse(await res.text()) };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}
