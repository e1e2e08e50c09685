/**
 * Judging a lesson's answer against what the page computed from the model (facts.ts) and the
 * generated world's facts (lessons.ts). Pure, so every verdict and its reason can be tested
 * without a model.
 */
import { type LessonCheck, REFUSAL_OPENINGS, SENTIMENT_WORDS } from '../../experiment';

export type Verdict = 'correct' | 'wrong' | 'unreadable';

export interface Feedback {
  readonly verdict: Verdict;
  /** Why, in a sentence or three: the computed figures the verdict rests on. */
  readonly message: string;
}

/** The lens at the last position: each row's label and top token's text, embedding row first. */
export interface LensFacts {
  readonly rows: readonly { readonly label: string; readonly layer: number; readonly point: string }[];
  readonly top: readonly string[];
}

/** The layer strip's measure for each layer (null where it is undefined). */
export interface SeparationFacts {
  readonly separation: readonly (number | null)[];
}

/** Probability that the reply starts a refusal, without and with the experiment's interventions. */
export interface RefusalFacts {
  readonly baseline: number;
  readonly steered: number;
}

/** Refusal log-odds of the prompt, and with each head zero-gated in turn. */
export interface HeadFacts {
  readonly base: number;
  readonly heads: readonly { readonly layer: number; readonly head: number; readonly score: number }[];
}

export interface VectorLensFacts {
  readonly layer: number;
  readonly promoted: readonly string[];
}

/** A task's function vector as the Function vectors view measured it. */
export interface FunctionVectorFacts {
  readonly task: string;
  readonly readout: readonly string[];
  readonly readoutIsAnswer: readonly boolean[];
  readonly fewShot: number;
  readonly zeroShot: number;
  readonly zeroShotFv: number;
}

/** The chat reply's first token with and without the injected vector (the lens's last position). */
export interface IntrospectionFacts {
  /** P(the first reply token is "yes", any case or spacing). */
  readonly baseline: number;
  readonly steered: number;
  /** The most likely first reply token. */
  readonly baselineTop: string;
  readonly steeredTop: string;
  readonly coefficient: number;
}

export type Facts =
  | IntrospectionFacts
  | LensFacts
  | SeparationFacts
  | RefusalFacts
  | HeadFacts
  | VectorLensFacts
  | FunctionVectorFacts;

/** A lens row from an answer: 'embed', '3', 'layer 3', 'post 3', 'L3'; undefined if none. */
export function parseLayer(answer: string): number | 'embed' | undefined {
  const a = answer.trim().toLowerCase();
  if (/^(embed|embedding|embeddings|emb)$/.test(a)) return 'embed';
  const m = /^(?:layer|post|l|block)?\s*(\d{1,4})$/.exec(a);
  return m ? Number(m[1]) : undefined;
}

/** A head from an answer: 'L2.H1', '2.1', 'L2H1', 'layer 2 head 1', '2,1'. */
export function parseHead(answer: string): { layer: number; head: number } | undefined {
  const a = answer.trim().toLowerCase();
  const m =
    /^l?\s*(\d{1,4})\s*[.,:/]?\s*h\s*(\d{1,4})$/.exec(a) ??
    /^(\d{1,4})\s*[.,:/\s]\s*(\d{1,4})$/.exec(a) ??
    /^layer\s*(\d{1,4})\s*,?\s*head\s*(\d{1,4})$/.exec(a);
  return m ? { layer: Number(m[1]), head: Number(m[2]) } : undefined;
}

/** 'refuses' / 'answers' from an answer (a few natural forms). */
export function parseVerdict(answer: string): 'refuses' | 'answers' | undefined {
  const a = answer.trim().toLowerCase();
  if (/^(refuses?|refusal|refused|yes|still refuses)$/.test(a)) return 'refuses';
  if (/^(answers?|answered|helps?|complies|no)$/.test(a)) return 'answers';
  return undefined;
}

export function parseYesNo(answer: string): boolean | undefined {
  const a = answer.trim().toLowerCase();
  if (/^(yes|y|true)$/.test(a)) return true;
  if (/^(no|n|false)$/.test(a)) return false;
  return undefined;
}

/** Whether a token's text could open a refusal (the first reply token: "I", "Sorry"). */
export function isRefusalStart(token: string): boolean {
  const t = token.trimStart();
  return t !== '' && REFUSAL_OPENINGS.some((o) => o.startsWith(t));
}

/** Whether a token's text is the word "yes" (the start of a yes answer). */
export function isYes(token: string): boolean {
  return /^[\sĠ▁]*yes$/i.test(token);
}

/** Whether a token's text is one of the world's sentiment words (case and spacing ignored). */
export function sentimentWord(token: string): boolean {
  // The vocabulary may spell a leading space as Ġ (byte-level BPE) or ▁ (SentencePiece).
  const t = token
    .replace(/^[\sĠ▁·]+/, '')
    .trim()
    .toLowerCase();
  return t.length > 1 && [...SENTIMENT_WORDS.positive, ...SENTIMENT_WORDS.negative].some((w) => w === t);
}

const pct = (p: number) => `${(100 * p).toFixed(0)}%`;
const show = (t: string) => JSON.stringify(t);
const rowName = (r: LensFacts['rows'][number]) => (r.point === 'embed' ? 'embed' : `layer ${r.layer}`);

export function judge(check: LessonCheck, answer: string, facts: Facts): Feedback {
  switch (check.kind) {
    case 'lens-first-layer':
      return judgeLens(check, answer, facts as LensFacts);
    case 'weakest-layer':
      return judgeWeakestLayer(check.tolerance, answer, facts as SeparationFacts);
    case 'refusal-verdict':
      return judgeRefusal(check.needs, answer, facts as RefusalFacts);
    case 'gate-head':
      return judgeGate(check.tolerance, answer, facts as HeadFacts);
    case 'vector-lens-sentiment':
      return judgeVectorLens(answer, facts as VectorLensFacts);
    case 'fv-readout':
      return judgeFunctionVector(answer, facts as FunctionVectorFacts);
    case 'introspection-yes':
      return judgeIntrospection(answer, facts as IntrospectionFacts);
  }
}

function judgeLens(
  check: Extract<LessonCheck, { kind: 'lens-first-layer' }>,
  answer: string,
  f: LensFacts,
): Feedback {
  const parsed = parseLayer(answer);
  if (parsed === undefined)
    return {
      verdict: 'unreadable',
      message: 'Answer with a layer number (the row "post N" is layer N) or "embed".',
    };
  const final = f.top.at(-1) ?? '';
  const first = f.top.indexOf(final);
  const row = f.rows[first]!;
  const knows = final.trim() !== '' && check.capital.toLowerCase().startsWith(final.trim().toLowerCase());
  const world = knows
    ? `${show(final)} starts ${check.capital}, the capital of ${check.country} in this world.`
    : `In this world the capital of ${check.country} is ${check.capital}; this model predicts ${show(final)} instead.`;
  const picked =
    parsed === 'embed'
      ? f.rows.findIndex((r) => r.point === 'embed')
      : f.rows.findIndex((r) => r.point !== 'embed' && r.layer === parsed);
  if (picked < 0)
    return { verdict: 'unreadable', message: `This model's lens has no row for layer ${parsed}.` };
  if (picked === first)
    return {
      verdict: 'correct',
      message: `Yes: ${rowName(row)} is the first row whose top token is ${show(final)}. ${world}`,
    };
  const there = f.top[picked] ?? '';
  const why =
    picked < first
      ? `at ${rowName(f.rows[picked]!)} the top token is still ${show(there)}.`
      : `an earlier row already shows it; look below ${rowName(f.rows[picked]!)}.`;
  return { verdict: 'wrong', message: `Not quite: ${why} ${world}` };
}

function judgeWeakestLayer(tolerance: number, answer: string, f: SeparationFacts): Feedback {
  const parsed = parseLayer(answer);
  if (parsed === undefined || parsed === 'embed')
    return { verdict: 'unreadable', message: 'Answer with a layer number.' };
  const values = f.separation.map((v) => v ?? Number.POSITIVE_INFINITY);
  const least = Math.min(...values);
  const leastLayer = values.indexOf(least);
  if (parsed >= values.length)
    return { verdict: 'unreadable', message: `This model has layers 0 to ${values.length - 1}.` };
  const mine = values[parsed]!;
  const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
  if (mine <= least + tolerance)
    return {
      verdict: 'correct',
      message: `Yes: layer ${parsed} separates the pairs with ${fmt(mine)}, the shortest bar of the strip (layer ${leastLayer}: ${fmt(least)}).`,
    };
  return {
    verdict: 'wrong',
    message: `Layer ${parsed}'s separation is ${fmt(mine)}; another layer's bar is shorter (${fmt(least)}). Look for the shortest bar.`,
  };
}

function judgeRefusal(needs: 'ablate' | 'add', answer: string, f: RefusalFacts): Feedback {
  const parsed = parseVerdict(answer);
  if (!parsed) return { verdict: 'unreadable', message: 'Answer "refuses" or "answers".' };
  const truth = f.steered >= 0.5 ? 'refuses' : 'answers';
  // The organisms misjudge a few requests; then the intervention has nothing to change here.
  const already =
    needs === 'ablate' && f.baseline < 0.5
      ? ' Note that this model already answered without the intervention.'
      : needs === 'add' && f.baseline >= 0.5
        ? ' Note that this model already refused without the intervention.'
        : '';
  const figures = `The probability that the reply starts a refusal ("I…", "Sorry…") is ${pct(f.baseline)} without the intervention and ${pct(f.steered)} with it.${already}`;
  return parsed === truth
    ? { verdict: 'correct', message: `Yes, it ${truth}. ${figures}` }
    : { verdict: 'wrong', message: `Look again at the steered reply: it ${truth}. ${figures}` };
}

function judgeGate(tolerance: number, answer: string, f: HeadFacts): Feedback {
  const parsed = parseHead(answer);
  if (!parsed)
    return { verdict: 'unreadable', message: 'Answer with a head as L<layer>.H<head>, e.g. L2.H1.' };
  const drops = f.heads.map((h) => ({ ...h, drop: f.base - h.score })).sort((a, b) => b.drop - a.drop);
  const best = drops[0];
  const mine = drops.find((h) => h.layer === parsed.layer && h.head === parsed.head);
  if (!best) return { verdict: 'unreadable', message: 'This model has no heads to gate.' };
  if (!mine)
    return {
      verdict: 'unreadable',
      message: `L${parsed.layer}.H${parsed.head} is not a head of this model.`,
    };
  const top3 = drops
    .slice(0, 3)
    .map((h) => `L${h.layer}.H${h.head} ${h.drop.toFixed(2)}`)
    .join(', ');
  const figures = `Refusal log-odds ${f.base.toFixed(2)} ungated; the largest drops when one head is gated: ${top3}.`;
  if (best.drop > 0 && mine.drop >= best.drop * (1 - tolerance))
    return {
      verdict: 'correct',
      message: `Yes: gating L${mine.layer}.H${mine.head} lowers the refusal log-odds by ${mine.drop.toFixed(2)}. ${figures}`,
    };
  return {
    verdict: 'wrong',
    message: `Gating L${mine.layer}.H${mine.head} changes the refusal log-odds by ${(-mine.drop).toFixed(2)}; another head matters more. ${figures}`,
  };
}

function judgeVectorLens(answer: string, f: VectorLensFacts): Feedback {
  const parsed = parseYesNo(answer);
  if (parsed === undefined) return { verdict: 'unreadable', message: 'Answer "yes" or "no".' };
  const found = f.promoted.filter(sentimentWord);
  const truth = found.length > 0;
  const list = f.promoted.map(show).join(', ');
  const figures = truth
    ? `At layer ${f.layer} its lens promotes ${found.map(show).join(', ')}, a sentiment word of this world.`
    : `At layer ${f.layer} its lens promotes ${list}: none is a sentiment word of this world. If the slider turned the story, the vector steers without being decodable.`;
  return parsed === truth
    ? { verdict: 'correct', message: `Right. ${figures}` }
    : { verdict: 'wrong', message: `Read the lens again. ${figures}` };
}

function judgeFunctionVector(answer: string, f: FunctionVectorFacts): Feedback {
  const parsed = parseYesNo(answer);
  if (parsed === undefined) return { verdict: 'unreadable', message: 'Answer "yes" or "no".' };
  const found = f.readout.filter((_, i) => f.readoutIsAnswer[i]);
  const truth = found.length > 0;
  const effect = `With the FV, zero-shot accuracy goes from ${pct(f.zeroShot)} to ${pct(f.zeroShotFv)} (few-shot: ${pct(f.fewShot)}).`;
  const readout = truth
    ? `Its readout holds ${found.map(show).join(', ')}, the start of a held-out answer.`
    : `Its readout (${f.readout.slice(0, 8).map(show).join(', ')}, …) holds no held-out answer's first token.`;
  return parsed === truth
    ? { verdict: 'correct', message: `Right. ${readout} ${effect}` }
    : { verdict: 'wrong', message: `Read the readout again: answers are marked. ${readout} ${effect}` };
}

function judgeIntrospection(answer: string, f: IntrospectionFacts): Feedback {
  const parsed = parseYesNo(answer);
  if (parsed === undefined) return { verdict: 'unreadable', message: 'Answer "yes" or "no".' };
  const truth = f.steered >= 0.5;
  const figures = `With the vector injected at ${f.coefficient}, P(the reply starts "yes") is ${pct(f.steered)} (most likely first token ${show(f.steeredTop)}); without it, ${pct(f.baseline)} (${show(f.baselineTop)}).`;
  return parsed === truth
    ? { verdict: 'correct', message: `Right. ${figures}` }
    : { verdict: 'wrong', message: `Read the steered reply again. ${figures}` };
}
