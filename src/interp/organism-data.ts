/**
 * The evaluation sets that ship beside each model organism (`models/organism-{name}/datasets/{set}.json`):
 * held-out harmful and harmless requests, sentiment contrast pairs, neutral story openings and
 * few-shot task items. The steering presets, the refusal workflow and the lessons read them too.
 */
import type { ModelSource } from '../engine';

export interface Request {
  readonly id: string;
  readonly category: string;
  readonly instruction: string;
  /** Harmless requests: the word an on-topic answer mentions. */
  readonly topic?: string;
}

export interface SentimentPair {
  readonly id: string;
  readonly positive: string;
  readonly negative: string;
}

export interface FewShotItem {
  readonly id: string;
  readonly task: string;
  readonly prompt: string;
  readonly answer: string;
}

export interface OrganismData {
  readonly harmful: readonly Request[];
  readonly harmless: readonly Request[];
  readonly sentimentPairs: readonly SentimentPair[];
  readonly neutralOpenings: readonly string[];
  readonly fewShot: readonly FewShotItem[];
  /** Held-out corpus text for validation loss, when the organism ships it. */
  readonly validation: readonly string[];
}

async function items<T>(source: ModelSource, file: string): Promise<T[]> {
  const path = `datasets/${file}`;
  if (!(await source.has(path))) return [];
  const json = JSON.parse(await source.readText(path)) as { items?: T[] };
  return json.items ?? [];
}

export async function readOrganismData(source: ModelSource): Promise<OrganismData> {
  const [harmful, harmless, sentimentPairs, openings, fewShot, validation] = await Promise.all([
    items<Request>(source, 'harmful.json'),
    items<Request>(source, 'harmless.json'),
    items<SentimentPair>(source, 'sentiment_pairs.json'),
    items<{ text: string }>(source, 'neutral_openings.json'),
    items<FewShotItem>(source, 'icl_tasks.json'),
    items<{ text: string }>(source, 'validation.json'),
  ]);
  return {
    harmful,
    harmless,
    sentimentPairs,
    neutralOpenings: openings.map((o) => o.text),
    fewShot,
    validation: validation.map((v) => v.text),
  };
}
