/**
 * The lessons' entry in the page: a "Lessons" link (the top bar renders it), and, when the address
 * asks for them, the index or a lesson's side panel. Those (and the lessons' data) load on demand,
 * so the playground itself does not carry them.
 */
import { lazy, Suspense } from 'react';
import { go, readRoute, useLessonRoute } from './route';
import './Lessons.css';

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

/** The index or a lesson's panel, when the address asks for one (the link is the top bar's). */
export function Lessons() {
  const route = readRoute(useLessonRoute());
  if (route.kind === 'none') return null;
  return (
    <Suspense fallback={<p className="lesson-loading">Loading the lessons…</p>}>
      <LessonsUi route={route} />
    </Suspense>
  );
}
