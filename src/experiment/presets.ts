/**
 * Preset pair sets, all from the datasets that ship beside each organism
 * (`models/organism-{name}/datasets/`): behaviours the organisms were trained on (story sentiment,
 * refusal, a story's topic). Each preset also says how to read it (refusal pairs are
 * instructions, read through the chat template at the last token).
 */
import type { Steering, TextPair } from './schema';

/**
 * A preset's measured settings on one shipped organism (METHODS.md §19): the layer it steers, its
 * default strength and the fluent range, both in norm units (multiples of the typical norm).
 */
export interface PresetTuning {
  /** The layers it steers (each adds s × its own typical norm). */
  readonly layers: readonly number[];
  readonly strength: number;
  /** Strengths whose steered text stays within perplexity ×2 of the baseline's (measured side). */
  readonly fluent: readonly [number, number];
}

export interface PresetInfo {
  readonly id: 'sentiment' | 'refusal' | 'music';
  readonly label: string;
  readonly description: string;
  /** Dataset files beside the organism, read in this order. */
  readonly files: readonly string[];
  readonly settings: Partial<Pick<Steering, 'chat' | 'position' | 'positions'>>;
  /** Measured tunings by shipped organism name; another model keeps its layers and strength. */
  readonly tuned?: Readonly<Record<string, PresetTuning>>;
}

export const PRESETS: readonly PresetInfo[] = [
  {
    id: 'sentiment',
    label: 'Sentiment',
    description: 'Happy versus sad sentences: steer a story to turn cheerful or gloomy.',
    files: ['sentiment_pairs.json'],
    settings: { chat: false, position: { kind: 'mean' }, positions: { kind: 'all' } },
    // Layers 5-6 at 0.25 each: 83% of stories judged positive, perplexity ×1.8 (at 0.28, ×2.8);
    // one layer stays below 80% inside the fluent range (layer 6 at 0.45: 69%, ×1.25).
    // organism-gpt2, layer 3 at 0.5: 83%, ×1.62 (×2.57 at 0.55).
    tuned: {
      'organism-llama': { layers: [5, 6], strength: 0.25, fluent: [-0.25, 0.25] },
      'organism-gpt2': { layers: [3], strength: 0.5, fluent: [-0.5, 0.5] },
    },
  },
  {
    id: 'refusal',
    label: 'Refusal',
    description:
      'Harmful versus harmless requests: the direction that makes a chat model refuse, added while it reads the request.',
    files: ['harmful.json', 'harmless.json'],
    // The refusal is decided while the model reads the request, so the preset steers the prompt's
    // positions only and the reply is the model's own: layer 4 at 1.75, 100% of harmless requests
    // refused, perplexity ×1.35 (×1.47 at 3). Steering every position as well breaks the reply up
    // before it refuses (17% at 0.75, ×1.65; 83% only over layers 4-6 at 0.4, ×30). METHODS §19.
    settings: { chat: true, position: { kind: 'last' }, positions: { kind: 'prompt' } },
    // organism-gpt2, layer 3 at 1: 100%, ×1.64 (94% at 0.75; ×1.96 at 1.5, ×2.18 at 2).
    tuned: {
      'organism-llama': { layers: [4], strength: 1.75, fluent: [-1.75, 1.75] },
      'organism-gpt2': { layers: [3], strength: 1, fluent: [-1.5, 1.5] },
    },
  },
  {
    id: 'music',
    label: 'Music',
    description:
      'Stories about music versus stories about anything else (same mood): steer a story towards a song.',
    files: ['sentiment_stories.json'],
    settings: { chat: false, position: { kind: 'mean' }, positions: { kind: 'all' } },
    // One layer is not enough inside the fluent range (layer 6 at 0.55: 72%, ×2.0); spread over
    // layers 4-7 at 0.17 each: 86% of stories tell of music, perplexity ×1.98 (4-6 at 0.2: 78%,
    // ×1.96; METHODS §19). organism-gpt2, layers 3-4 at 0.3: 94%, ×1.59 (×2.22 at 0.35).
    tuned: {
      'organism-llama': { layers: [4, 5, 6, 7], strength: 0.17, fluent: [-0.17, 0.17] },
      'organism-gpt2': { layers: [3, 4], strength: 0.3, fluent: [-0.3, 0.3] },
    },
  },
];

/** How many pairs a preset takes from a dataset: enough for a good vector, quick to build. */
export const PRESET_PAIRS = 16;

interface Items<T> {
  readonly items?: readonly T[];
}

interface Story {
  readonly topic?: unknown;
  readonly sentiment?: unknown;
  readonly text?: unknown;
}

/**
 * The i-th story of `topic` against the i-th story of another topic with the same sentiment, so
 * the difference is the topic and the mood cancels (the labelled stories of
 * `sentiment_stories.json`; training/organisms/stories.py writes a story's topic there).
 */
function topicPairs(stories: readonly Story[], topic: string): TextPair[] {
  const valid = stories.filter((s): s is Story & { text: string } => typeof s.text === 'string');
  const on = valid.filter((s) => s.topic === topic);
  const off = valid.filter((s) => s.topic !== topic);
  return on
    .map((s, i) => ({ positive: s.text, negative: off.filter((o) => o.sentiment === s.sentiment)[i]?.text }))
    .filter((p): p is TextPair => p.negative !== undefined)
    .slice(0, PRESET_PAIRS);
}

/** Pairs from the organism's dataset files (as parsed JSON, in PresetInfo.files order). */
export function presetPairs(id: PresetInfo['id'], files: readonly unknown[]): TextPair[] {
  if (id === 'music') return topicPairs((files[0] as Items<Story>)?.items ?? [], 'music');
  if (id === 'sentiment') {
    const items = (files[0] as Items<{ positive?: unknown; negative?: unknown }>)?.items ?? [];
    return items
      .filter((i) => typeof i.positive === 'string' && typeof i.negative === 'string')
      .slice(0, PRESET_PAIRS)
      .map((i) => ({ positive: i.positive as string, negative: i.negative as string }));
  }
  const text = (f: unknown) =>
    ((f as Items<{ instruction?: unknown }>)?.items ?? [])
      .map((i) => i.instruction)
      .filter((s): s is string => typeof s === 'string');
  const harmful = text(files[0]);
  const harmless = text(files[1]);
  const n = Math.min(harmful.length, harmless.length, PRESET_PAIRS);
  return Array.from({ length: n }, (_, i) => ({ positive: harmful[i]!, negative: harmless[i]! }));
}
