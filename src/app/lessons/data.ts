/**
 * The datasets the lessons' experiments are made from, fetched once from beside the organism
 * (as the preset buttons fetch theirs). A failed fetch is not kept, so a later try can succeed.
 */
import { LESSON_DATASETS, LESSON_ORGANISM, type LessonDatasets } from '../../experiment';
import { MODELS_BASE } from '../shipped';

let loading: Promise<LessonDatasets> | undefined;

export function lessonDatasets(): Promise<LessonDatasets> {
  loading ??= Promise.all(
    LESSON_DATASETS.map(async (file) => {
      const res = await fetch(`${MODELS_BASE}${LESSON_ORGANISM}/datasets/${file}`);
      if (!res.ok)
        throw new Error(
          `The lessons are made from models/${LESSON_ORGANISM}/datasets/${file}, which this build does not have (${res.status}). Build the organisms, or open the playground without lessons.`,
        );
      return [file, await res.json()] as const;
    }),
  ).then(
    (entries) => Object.fromEntries(entries) as LessonDatasets,
    (e: unknown) => {
      loading = undefined;
      throw e;
    },
  );
  return loading;
}
