/**
 * Where the lessons live in the address: `?lessons` opens the index, `?lesson=<id>` a lesson's
 * panel; the hash keeps holding the experiment, so a lesson's link is `?lesson=<id>#<experiment>`
 * and opens like any share link. Moving between lessons inside the page pushes a history entry
 * (Back returns to the previous lesson) without reloading the model.
 */
import { useSyncExternalStore } from 'react';

export type LessonRoute =
  | { readonly kind: 'none' }
  | { readonly kind: 'index' }
  | { readonly kind: 'lesson'; readonly id: string };

const CHANGE = 'rudder:lesson-route';

export function readRoute(search: string): LessonRoute {
  const q = new URLSearchParams(search);
  const id = q.get('lesson');
  if (id) return { kind: 'lesson', id };
  if (q.has('lessons')) return { kind: 'index' };
  return { kind: 'none' };
}

/** The page's search with the lesson parameters replaced (other parameters, e.g. ?backend=, kept). */
export function searchFor(route: LessonRoute, search: string): string {
  const q = new URLSearchParams(search);
  q.delete('lesson');
  q.delete('lessons');
  // A lesson names its own model; a ?model= left over from before would override it.
  if (route.kind === 'lesson') q.delete('model');
  const rest = q.toString().replace(/=(?=&|$)/g, '');
  const own =
    route.kind === 'lesson'
      ? `lesson=${encodeURIComponent(route.id)}`
      : route.kind === 'index'
        ? 'lessons'
        : '';
  const all = [own, rest].filter((s) => s !== '').join('&');
  return all === '' ? '' : `?${all}`;
}

/** Goes to a route inside the page; `hash` (without '#') replaces the experiment in the address. */
export function go(route: LessonRoute, hash?: string): void {
  const { pathname, search } = window.location;
  const h = hash ?? window.location.hash.slice(1);
  window.history.pushState(
    window.history.state,
    '',
    `${pathname}${searchFor(route, search)}${h ? `#${h}` : ''}`,
  );
  window.dispatchEvent(new Event(CHANGE));
}

function subscribe(notify: () => void): () => void {
  window.addEventListener('popstate', notify);
  window.addEventListener(CHANGE, notify);
  return () => {
    window.removeEventListener('popstate', notify);
    window.removeEventListener(CHANGE, notify);
  };
}

/** The route, re-read whenever the address changes (Back, Forward, `go`). */
export function useLessonRoute(): string {
  return useSyncExternalStore(subscribe, () => window.location.search);
}
