/**
 * A lesson's narrative beside the playground: its steps, its question, an answer box the page
 * checks against the model (facts.ts, check.ts), and the way to the previous and next lessons.
 */
import { type FormEvent, useRef, useState } from 'react';
import { LESSONS, type Lesson, lessonExperiment } from '../../experiment';
import { errorOf } from '../actions/job';
import { lessonFacts } from '../actions/lessons';
import { useStore } from '../store';
import { type Feedback, judge } from './check';
import { lessonDatasets } from './data';
import { openLesson } from './open';
import { go } from './route';

type Shown = Feedback | { readonly verdict: 'not-ready' | 'checking'; readonly message: string };

export function LessonPanel({ lesson }: { readonly lesson: Lesson }) {
  const [answer, setAnswer] = useState('');
  const [feedback, setFeedback] = useState<Shown | undefined>();
  // Only the latest check may show its verdict (a head sweep takes a few seconds).
  const latest = useRef(0);
  const ready = useStore((s) => s.current !== undefined && s.load.status !== 'running');
  const i = LESSONS.indexOf(lesson);
  const prev = LESSONS[i - 1];
  const next = LESSONS[i + 1];

  async function check(text: string) {
    setAnswer(text);
    if (text.trim() === '') {
      setFeedback({ verdict: 'unreadable', message: `Type an answer first: ${lesson.answerHint}` });
      return;
    }
    const run = ++latest.current;
    const show = (f: Shown) => run === latest.current && setFeedback(f);
    show({ verdict: 'checking', message: 'Checking against the model…' });
    try {
      const got = await lessonFacts(lesson, lessonExperiment(lesson, await lessonDatasets()));
      show(
        'notReady' in got
          ? { verdict: 'not-ready', message: got.notReady }
          : judge(lesson.check, text, got.facts),
      );
    } catch (e) {
      show({ verdict: 'not-ready', message: `The check could not run: ${errorOf(e).message}` });
    }
  }
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void check(answer);
  };

  return (
    <aside
      className="lesson-panel"
      aria-labelledby="lesson-title"
      data-testid="lesson-panel"
      data-lesson={lesson.id}
    >
      <nav className="lesson-nav" aria-label="Lessons">
        <button type="button" onClick={() => go({ kind: 'index' })}>
          All lessons
        </button>
        <span className="lesson-count">
          Lesson {i + 1} of {LESSONS.length}
        </span>
        <button type="button" onClick={() => go({ kind: 'none' })} aria-label="Close the lesson">
          Close
        </button>
      </nav>
      <h2 id="lesson-title">{lesson.title}</h2>
      <p className="lesson-summary">{lesson.summary}</p>
      <ol className="lesson-steps" data-testid="lesson-steps">
        {lesson.steps.map((s) => (
          <li key={s}>{s}</li>
        ))}
      </ol>
      <form className="lesson-question" onSubmit={onSubmit}>
        <p className="lesson-q" id="lesson-question" data-testid="lesson-question">
          {lesson.question}
        </p>
        {lesson.choices ? (
          <fieldset className="lesson-choices" aria-labelledby="lesson-question">
            {lesson.choices.map((c) => (
              <button
                key={c}
                type="button"
                aria-pressed={answer === c}
                disabled={!ready}
                onClick={() => void check(c)}
              >
                {c}
              </button>
            ))}
          </fieldset>
        ) : (
          <div className="lesson-answer">
            <input
              aria-labelledby="lesson-question"
              data-testid="lesson-answer"
              value={answer}
              onChange={(e) => setAnswer(e.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
            <button type="submit" disabled={!ready || feedback?.verdict === 'checking'}>
              Check
            </button>
          </div>
        )}
        <p className="lesson-hint">{lesson.answerHint}</p>
      </form>
      {feedback && (
        <div
          className="lesson-feedback"
          role="status"
          data-testid="lesson-feedback"
          data-verdict={feedback.verdict}
        >
          <p>{feedback.message}</p>
          {feedback.verdict === 'correct' && <p className="lesson-takeaway">{lesson.takeaway}</p>}
        </div>
      )}
      <div className="lesson-moves">
        <button type="button" disabled={!prev} onClick={() => prev && void openLesson(prev)}>
          ← Previous
        </button>
        <button
          type="button"
          onClick={() => void openLesson(lesson)}
          title="Put the lesson's experiment back"
        >
          Restart lesson
        </button>
        <button type="button" disabled={!next} onClick={() => next && void openLesson(next)}>
          Next →
        </button>
      </div>
    </aside>
  );
}
