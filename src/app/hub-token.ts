/**
 * The Hub access token for gated or private repos. It lives in this tab's sessionStorage only
 * (gone when the tab closes): never localStorage, the address, a share link or an exported
 * experiment. It goes to the worker inside a Hub load request, and from there only to the
 * Hugging Face Hub itself (or a Hub stand-in on this machine): a link's `?hub=` may name any
 * server, and a token must not travel to one the person did not choose.
 */
const KEY = 'rudder.hubToken';
const HUB = 'https://huggingface.co';

export function readHubToken(): string {
  try {
    return sessionStorage.getItem(KEY) ?? '';
  } catch {
    // No sessionStorage (Node, a sandboxed frame): the token is kept for this page only.
    return '';
  }
}

export function writeHubToken(token: string): void {
  try {
    if (token) sessionStorage.setItem(KEY, token);
    else sessionStorage.removeItem(KEY);
  } catch {
    // As above: nothing to keep it in.
  }
}

/** The token to send to `endpoint` (undefined: the Hub), or undefined when it must not go there. */
export function hubTokenFor(token: string, endpoint: string | undefined): string | undefined {
  const trimmed = token.trim();
  if (!trimmed) return undefined;
  return endpoint === undefined || endpoint === HUB || isLoopback(endpoint) ? trimmed : undefined;
}

function isLoopback(address: string): boolean {
  try {
    const { hostname } = new URL(address);
    return hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]';
  } catch {
    return false;
  }
}
