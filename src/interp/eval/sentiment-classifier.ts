/**
 * A judge for steered stories: multinomial naive Bayes over words, trained on texts whose
 * sentiment label the corpus generator fixed (the organisms' sentiment pairs differ only in their
 * sentiment words, so the judge learns exactly those). Deterministic, tiny, no tensors.
 */

export type Sentiment = 'positive' | 'negative' | 'neutral';

export interface SentimentClassifier {
  /** log P(text | positive) − log P(text | negative). */
  logOdds(text: string): number;
  classify(text: string): Sentiment;
}

const words = (text: string) => text.toLowerCase().match(/[a-z']+/g) ?? [];

/**
 * @param margin |log-odds| below which a text counts as neutral (no sentiment words). Default 2:
 *   one clearly positive or negative word is enough.
 */
export function trainSentimentClassifier(
  positive: readonly string[],
  negative: readonly string[],
  margin = 2,
): SentimentClassifier {
  const count = (texts: readonly string[]) => {
    const c = new Map<string, number>();
    for (const t of texts) for (const w of words(t)) c.set(w, (c.get(w) ?? 0) + 1);
    return c;
  };
  const pos = count(positive);
  const neg = count(negative);
  const vocab = new Set([...pos.keys(), ...neg.keys()]);
  const total = (c: Map<string, number>) => [...c.values()].reduce((a, b) => a + b, 0) + vocab.size;
  const [posTotal, negTotal] = [total(pos), total(neg)];
  // Laplace smoothing; words never seen in training carry no evidence either way.
  const weight = new Map<string, number>();
  for (const w of vocab)
    weight.set(
      w,
      Math.log(((pos.get(w) ?? 0) + 1) / posTotal) - Math.log(((neg.get(w) ?? 0) + 1) / negTotal),
    );
  const logOdds = (text: string) => words(text).reduce((s, w) => s + (weight.get(w) ?? 0), 0);
  return {
    logOdds,
    classify: (text) => {
      const x = logOdds(text);
      return x > margin ? 'positive' : x < -margin ? 'negative' : 'neutral';
    },
  };
}
