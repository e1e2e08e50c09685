/**
 * What a first visit shows without a click: the Sentiment pairs steering a story on the default
 * organism, at a strength that turns it cheerful (the tour then says what each part is). The
 * prompt and sampling are the sentiment lesson's, so the example and the lesson tell one story.
 * The pairs come from the organism's shipped dataset (the Sentiment preset's), read by the page.
 */
import { PRESETS } from './presets';
import { DEFAULT_MODEL, type Experiment, ExperimentSchema, type TextPair } from './schema';

/** The story opening the first visit continues (also the sentiment lessons' prompt). */
export const STORY_PROMPT = 'Finn had an old bicycle and a friend named Chloe.';

/**
 * The strength the first visit steers at: measured on both organisms (tests/e2e/first-visit.e2e.ts
 * judges the steered story positive with the organism's sentiment judge), inside the fluent range.
 */
export const FIRST_VISIT_STRENGTH = 8;

const SENTIMENT = PRESETS.find((p) => p.id === 'sentiment')!;

export function firstVisitExperiment(pairs: readonly TextPair[]): Experiment {
  return ExperimentSchema.parse({
    version: 1,
    model: DEFAULT_MODEL,
    prompt: { text: STORY_PROMPT, chat: false },
    generation: { maxTokens: 40, temperature: 0.7, seed: 1 },
    steering: { pairs, preset: 'sentiment', ...SENTIMENT.settings, coefficient: FIRST_VISIT_STRENGTH },
  });
}
