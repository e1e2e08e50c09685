/**
 * The evaluation sets that ship beside each model organism (`models/organism-{name}/datasets/{set}.json`):
 * held-out harmful and harmless requests (in the trained phrasings and in held-out phrasing families), sentiment contrast pairs, neutral story openings, labelled
 * stories, few-shot task items and validation text. The steering presets, the refusal workflow and the lessons read them too.
 */
import type { ModelSource } from '../../engine';

export interface Request {
  readonly id: string;
  readonly category: string;
  readonly instruction: string;
  /** Harmless requests: the word an on-topic answer mentions (harmful ones: the item's key word). */
  readonly topic?: string;
  /** The phrasing family the instruction was written in (training/organisms/phrasings.py). */
  readonly family?: string;
}

export interface SentimentPair {
  readonly id: string;
  readonly positive: string;
  readonly negative: string;
}

/** A whole story the corpus generator wrote with a known sentiment. */
export interface LabelledStory {
  readonly id: string;
  readonly sentiment: 'positive' | 'negative';
  readonly text: string;
}

export interface FewShotItem {
  readonly id: string;
  readonly task: string;
  readonly prompt: string;
  readonly answer: string;
  /** The (input, output) demonstrations and the query the prompt was made of (function vectors need them). */
  readonly shots?: readonly (readonly [string, string])[];
  readonly query?: string;
}

/** How icl_tasks.json joins shots into a prompt (its `format`). */
export interface FewShotFormat {
  /** `{input} -> {output}` */
  readonly pair: string;
  readonly separator: string;
  /** `{input} ->` */
  readonly query: string;
  /** What precedes the answer in the continuation (a space). */
  readonly answer_prefix: string;
}

export interface OrganismData {
  readonly harmful: readonly Request[];
  readonly harmless: readonly Request[];
  /**
   * The same kind of held-out requests phrased in phrasing families training never used
   * (`harmful_families.json`, `harmless_families.json`; empty for organisms without them).
   */
  readonly harmfulFamilies: readonly Request[];
  readonly harmlessFamilies: readonly Request[];
  readonly sentimentPairs: readonly SentimentPair[];
  readonly neutralOpenings: readonly string[];
  /** Whole labelled stories (empty for organisms that predate them). */
  readonly sentimentStories: readonly LabelledStory[];
  readonly fewShot: readonly FewShotItem[];
  /** The few-shot prompts' format, when the organism ships few-shot items. */
  readonly fewShotFormat?: FewShotFormat;
  /** Held-out corpus text for validation loss, when the organism ships it. */
  readonly validation: readonly string[];
}

async function items<T>(source: ModelSource, file: string): Promise<T[]> {
  return (await dataset<{ items?: T[] }>(source, file))?.items ?? [];
}

async function dataset<T>(source: ModelSource, file: string): Promise<T | undefined> {
  const path = `datasets/${file}`;
  if (!(await source.has(path))) return undefined;
  return JSON.parse(await source.readText(path)) as T;
}

export async function readOrganismData(source: ModelSource): Promise<OrganismData> {
  const [
    harmful,
    harmless,
    harmfulFamilies,
    harmlessFamilies,
    sentimentPairs,
    openings,
    stories,
    fewShot,
    validation,
  ] = await Promise.all([
    items<Request>(source, 'harmful.json'),
    items<Request>(source, 'harmless.json'),
    items<Request>(source, 'harmful_families.json'),
    items<Request>(source, 'harmless_families.json'),
    items<SentimentPair>(source, 'sentiment_pairs.json'),
    items<{ text: string }>(source, 'neutral_openings.json'),
    items<LabelledStory>(source, 'sentiment_stories.json'),
    dataset<{ items?: FewShotItem[]; format?: FewShotFormat }>(source, 'icl_tasks.json'),
    items<{ text: string }>(source, 'validation.json'),
  ]);
  return {
    harmful,
    harmless,
    harmfulFamilies,
    harmlessFamilies,
    sentimentPairs,
    neutralOpenings: openings.map((o) => o.text),
    sentimentStories: stories,
    fewShot: fewShot?.items ?? [],
    ...(fewShot?.format ? { fewShotFormat: fewShot.format } : {}),
    validation: validation.map((v) => v.text),
  };
}
