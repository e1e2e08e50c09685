/**
 * The lessons' entry in the page: a "Lessons" link in the top bar, and, when the address asks for
 * them, the index or a lesson's side panel. Those (and the lessons' data) load on demand, so the
 * playground itself does not carry them.
 */
import { lazy, Suspense, useEffect, useState } from 'react';
import { createPortal } from 'react-dom';
import { go, readRoute, useLessonRoute } from './route';

const LessonsUi = lazy(() => import('./LessonsUi'));

export function LessonsLink() {
  return (
    <a
      className="lessons-link"
      href="?lessons"
      data-testid="lessons-link"
      onClick={(e) => {
        if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
        e.preventDefault();
        go({ kind: 'index' });
      }}
    >
      Lessons
    </a>
  );
}

/**
 * The link goes into the top bar's settings group (the bar belongs to another panel, so it is
 * placed there rather than written there); without that group it stays where this is rendered.
 */
export function Lessons() {
  const route = readRoute(useLessonRoute());
  const [slot, setSlot] = useState<Element | null>(null);
  useEffect(() => setSlot(document.querySelector('.topbar .prefs')), []);
  return (
    <>
      {slot ? createPortal(<LessonsLink />, slot) : <LessonsLink />}
      {route.kind !== 'none' && (
        <Suspense fallback={<p className="lesson-loading">Loading the lessons…</p>}>
          <LessonsUi route={route} />
        </Suspense>
      )}
    </>
  );
}
