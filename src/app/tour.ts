/**
 * The one-screen tour's memory: whether this browser has seen it (localStorage `rudder.tour`).
 * A browser that has not is on its first visit: the bare page then steers an example on load and
 * shows the tour (actions/start.ts). Storage that cannot be read counts as seen, so a locked-down
 * browser never gets a tour it cannot dismiss for good.
 */
import { useStore } from './store';

export const TOUR_KEY = 'rudder.tour';

export function tourSeen(): boolean {
  try {
    return localStorage.getItem(TOUR_KEY) === 'seen';
  } catch {
    return true;
  }
}

export function openTour(): void {
  useStore.setState({ tourOpen: true });
}

/** "Got it" or Escape: hidden now and on every later visit (the Tour button reopens it). */
export function closeTour(): void {
  useStore.setState({ tourOpen: false });
  try {
    localStorage.setItem(TOUR_KEY, 'seen');
  } catch {
    // Storage is off: the tour stays closed for this page only.
  }
}
