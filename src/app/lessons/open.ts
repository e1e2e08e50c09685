/** Opening a lesson: its experiment becomes the page's, as if its share link had been opened. */
import { encode, type Lesson, type LessonDatasets, lessonExperiment } from '../../experiment';
import { applyExperiment } from '../actions/share';
import { useStore } from '../store';
import { lessonDatasets } from './data';
import { go } from './route';

/** The hash (without '#') of a lesson's experiment: what its link carries. */
export function lessonHash(lesson: Lesson, data: LessonDatasets): Promise<string> {
  return encode(lessonExperiment(lesson, data));
}

/** Shows the lesson's panel and applies its experiment (model, prompt, pairs, view), then generates. */
export async function openLesson(lesson: Lesson): Promise<void> {
  let data: LessonDatasets;
  try {
    data = await lessonDatasets();
  } catch (e) {
    go({ kind: 'lesson', id: lesson.id });
    useStore.setState({ shareNote: (e as Error).message });
    return;
  }
  const exp = lessonExperiment(lesson, data);
  go({ kind: 'lesson', id: lesson.id }, await encode(exp));
  await applyExperiment(exp);
}
