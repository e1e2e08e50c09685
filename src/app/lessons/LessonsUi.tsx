/** The lesson index or a lesson's panel, for the route in the address (loaded on demand). */
import { useEffect } from 'react';
import { LESSONS, lessonById } from '../../experiment';
import { LessonIndex } from './LessonIndex';
import { LessonPanel } from './LessonPanel';
import { openLesson } from './open';
import { go, type LessonRoute } from './route';
import './LessonsUi.css';

export default function LessonsUi({ route }: { readonly route: Exclude<LessonRoute, { kind: 'none' }> }) {
  const lesson = route.kind === 'lesson' ? lessonById(route.id) : undefined;
  useEffect(() => {
    // `?lesson=<id>` typed without its experiment: open the lesson's own state.
    if (lesson && window.location.hash === '') void openLesson(lesson);
  }, [lesson]);
  if (route.kind === 'index') return <LessonIndex />;
  if (!lesson)
    return (
      <aside className="lesson-panel" aria-label="Lesson" data-testid="lesson-panel">
        <p className="lesson-problem" role="alert">
          There is no lesson called “{route.id}”. The lesson list has the {LESSONS.length} lessons there are.
        </p>
        <button type="button" onClick={() => go({ kind: 'index' })}>
          All lessons
        </button>
      </aside>
    );
  return <LessonPanel key={lesson.id} lesson={lesson} />;
}
