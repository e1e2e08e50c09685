/**
 * The lesson index: every lesson with its summary, as a real link (`?lesson=<id>#<experiment>`,
 * so it can be opened in a new tab or shared) that, clicked here, opens in place.
 */
import { useEffect, useRef, useState } from 'react';
import { LESSONS, type Lesson } from '../../experiment';
import { lessonDatasets } from './data';
import { lessonHash, openLesson } from './open';
import { go, searchFor } from './route';

/** Each lesson's experiment hash, once the datasets are in; or why they could not be read. */
function useHashes(): { hashes: Readonly<Record<string, string>>; problem?: string } {
  const [state, setState] = useState<{ hashes: Record<string, string>; problem?: string }>({ hashes: {} });
  useEffect(() => {
    let live = true;
    lessonDatasets()
      .then((data) => Promise.all(LESSONS.map(async (l) => [l.id, await lessonHash(l, data)] as const)))
      .then(
        (entries) => live && setState({ hashes: Object.fromEntries(entries) }),
        (e: unknown) => live && setState({ hashes: {}, problem: (e as Error).message }),
      );
    return () => {
      live = false;
    };
  }, []);
  return state;
}

function href(lesson: Lesson, hash: string | undefined): string {
  return `${searchFor({ kind: 'lesson', id: lesson.id }, window.location.search)}${hash ? `#${hash}` : ''}`;
}

export function LessonIndex() {
  const { hashes, problem } = useHashes();
  const close = () => go({ kind: 'none' });
  const box = useRef<HTMLElement>(null);
  useEffect(() => {
    // A dialog for the keyboard: focus moves into it, Escape closes it.
    box.current?.querySelector<HTMLElement>('a')?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && go({ kind: 'none' });
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div className="lesson-index-backdrop">
      <section
        ref={box}
        className="lesson-index"
        role="dialog"
        aria-modal="true"
        aria-labelledby="lesson-index-title"
        data-testid="lesson-index"
      >
        <header>
          <h2 id="lesson-index-title">Lessons</h2>
          <button type="button" onClick={close} aria-label="Close the lessons">
            Close
          </button>
        </header>
        <p className="lesson-intro">
          Guided experiments on the model organisms, which run in this tab with no network. Each lesson opens
          its experiment with steps and a question; the page checks the answer against the model itself.
        </p>
        {problem && (
          <p className="lesson-problem" role="alert">
            {problem}
          </p>
        )}
        <ol className="lesson-list">
          {LESSONS.map((l, i) => (
            <li key={l.id}>
              <a
                href={href(l, hashes[l.id])}
                data-testid="lesson-link"
                data-lesson={l.id}
                onClick={(e) => {
                  if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
                  e.preventDefault();
                  void openLesson(l);
                }}
              >
                <span className="lesson-number">{i + 1}</span>
                <span className="lesson-title">{l.title}</span>
              </a>
              <p>{l.summary}</p>
            </li>
          ))}
        </ol>
      </section>
    </div>
  );
}
