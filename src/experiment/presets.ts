/**
 * Preset pair sets. Sentiment and refusal come from the datasets that ship beside each organism
 * (`models/organism-{name}/datasets/`); formality is small enough to live here. Each preset also says
 * how to read it (refusal pairs are instructions, read through the chat template at the last
 * token).
 */
import type { Steering, TextPair } from './schema';

/**
 * A preset's measured settings on one shipped organism (METHODS.md §19): the layer it steers, its
 * default strength and the fluent range, both in norm units (multiples of the typical norm).
 */
export interface PresetTuning {
  readonly layer: number;
  readonly strength: number;
  /** Strengths whose steered text stays within perplexity ×2 of the baseline's (measured side). */
  readonly fluent: readonly [number, number];
}

export interface PresetInfo {
  readonly id: 'sentiment' | 'refusal' | 'formality';
  readonly label: string;
  readonly description: string;
  /** Dataset files beside the organism, or undefined when the pairs are built in. */
  readonly files?: readonly string[];
  readonly settings: Partial<Pick<Steering, 'chat' | 'position'>>;
  /** Measured tunings by shipped organism name; another model keeps its layers and strength. */
  readonly tuned?: Readonly<Record<string, PresetTuning>>;
}

export const PRESETS: readonly PresetInfo[] = [
  {
    id: 'sentiment',
    label: 'Sentiment',
    description: 'Happy versus sad sentences: steer a story to turn cheerful or gloomy.',
    files: ['sentiment_pairs.json'],
    settings: { chat: false, position: { kind: 'mean' } },
    // Layer 6 at 0.45: 69% of stories judged positive, perplexity ×1.25; at 0.6, 86% but ×3.7.
    tuned: { 'organism-llama': { layer: 6, strength: 0.45, fluent: [-0.45, 0.45] } },
  },
  {
    id: 'refusal',
    label: 'Refusal',
    description: 'Harmful versus harmless requests: the direction that makes a chat model refuse.',
    files: ['harmful.json', 'harmless.json'],
    settings: { chat: true, position: { kind: 'last' } },
    // Layer 4 at 0.75: 17% of harmless requests refused, perplexity ×1.65 (92% only at layer 6, 1.0, ×27).
    tuned: { 'organism-llama': { layer: 4, strength: 0.75, fluent: [-0.75, 0.75] } },
  },
  {
    id: 'formality',
    label: 'Formality',
    description: 'Formal versus casual phrasing of the same message.',
    settings: { chat: false, position: { kind: 'mean' } },
  },
];

export const FORMALITY_PAIRS: readonly TextPair[] = [
  {
    positive: 'Good afternoon. I would be grateful for your assistance.',
    negative: 'hey, can u help me out',
  },
  { positive: 'Please find the requested documents attached.', negative: 'here’s the stuff u wanted' },
  { positive: 'I regret to inform you that the meeting is postponed.', negative: 'meeting’s off, sorry lol' },
  { positive: 'Thank you kindly for your prompt reply.', negative: 'thx for getting back so fast' },
  { positive: 'We would be delighted to welcome you on Friday.', negative: 'come hang out friday!' },
  { positive: 'Kindly confirm your attendance at your earliest convenience.', negative: 'u coming or nah?' },
  { positive: 'I am afraid I must decline the invitation.', negative: 'nah i can’t make it' },
  {
    positive: 'Should you require further information, do not hesitate to ask.',
    negative: 'ask me if u need anything',
  },
];

/** How many pairs a preset takes from a dataset: enough for a good vector, quick to build. */
export const PRESET_PAIRS = 16;

interface Items<T> {
  readonly items?: readonly T[];
}

/** Pairs from the organism's dataset files (as parsed JSON, in PresetInfo.files order). */
export function presetPairs(id: PresetInfo['id'], files: readonly unknown[]): TextPair[] {
  if (id === 'formality') return [...FORMALITY_PAIRS];
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
