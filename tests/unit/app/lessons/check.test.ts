import { describe, expect, it } from 'vitest';
import {
  type HeadFacts,
  isRefusalStart,
  isYes,
  judge,
  type LensFacts,
  parseHead,
  parseLayer,
  parseVerdict,
  parseYesNo,
  sentimentWord,
} from '../../../../src/app/lessons/check';
import { readRoute, searchFor } from '../../../../src/app/lessons/route';
import type { LessonCheck } from '../../../../src/experiment/lessons';

const lensCheck: LessonCheck = { kind: 'lens-first-layer', country: 'Sumrisia', capital: 'Harum' };
const rows = ['embed', 'post 0', 'post 1', 'post 2', 'post 3'].map((label, i) => ({
  label,
  layer: i === 0 ? 0 : i - 1,
  point: i === 0 ? 'embed' : 'resid_post',
}));
const lens = (top: string[]): LensFacts => ({ rows, top });

describe('reading answers', () => {
  it('reads a layer in the forms people type', () => {
    expect(parseLayer('3')).toBe(3);
    expect(parseLayer(' Layer 3 ')).toBe(3);
    expect(parseLayer('post 12')).toBe(12);
    expect(parseLayer('L2')).toBe(2);
    expect(parseLayer('embed')).toBe('embed');
    expect(parseLayer('three')).toBeUndefined();
    expect(parseLayer('3.5')).toBeUndefined();
  });

  it('reads a head as L2.H1, 2.1, L2H1 or layer 2 head 1', () => {
    for (const a of ['L2.H1', 'l2h1', '2.1', '2,1', 'layer 2 head 1', 'L2 H1'])
      expect(parseHead(a), a).toEqual({ layer: 2, head: 1 });
    expect(parseHead('L2')).toBeUndefined();
    expect(parseHead('head')).toBeUndefined();
  });

  it('reads refuses/answers and yes/no, and nothing else', () => {
    expect(parseVerdict('Refuses')).toBe('refuses');
    expect(parseVerdict('answers')).toBe('answers');
    expect(parseVerdict('maybe')).toBeUndefined();
    expect(parseYesNo('Yes')).toBe(true);
    expect(parseYesNo('no')).toBe(false);
    expect(parseYesNo('perhaps')).toBeUndefined();
  });

  it("counts the organisms' refusal openings and sentiment words, and not their neighbours", () => {
    expect(isRefusalStart('I')).toBe(true);
    expect(isRefusalStart('Sorry')).toBe(true);
    expect(isRefusalStart(' Sure')).toBe(false);
    expect(isRefusalStart('')).toBe(false);
    expect(sentimentWord(' happy')).toBe(true);
    expect(sentimentWord('Ġmiserable')).toBe(true);
    expect(sentimentWord(' the')).toBe(false);
  });
});

describe('judging lens answers', () => {
  const facts = lens([' Z', ' Har', ' Sum', ' Har', ' Har']);

  it('accepts the first row whose top token is the final prediction', () => {
    // Row "post 0" is the first to show ' Har', which starts the capital.
    const f = judge(lensCheck, '0', facts);
    expect(f.verdict).toBe('correct');
    expect(f.message).toContain('starts Harum');
    expect(judge(lensCheck, 'embed', lens([' Har', ' Har', ' Sum', ' Har', ' Har'])).verdict).toBe('correct');
  });

  it('refuses a later row and says an earlier one already shows it', () => {
    const f = judge(lensCheck, '2', lens([' Z', ' Har', ' Sum', ' Har', ' Har']));
    expect(f.verdict).toBe('wrong');
    expect(f.message).toContain('earlier row');
  });

  it('refuses an earlier row and names the token it shows', () => {
    const f = judge(lensCheck, 'embed', lens([' Z', ' Y', ' Har', ' Har', ' Har']));
    expect(f.verdict).toBe('wrong');
    expect(f.message).toContain('" Z"');
  });

  it("says so when the model's prediction is not the world's capital", () => {
    const f = judge(lensCheck, '2', lens([' Z', ' Y', ' X', ' Dov', ' Dov']));
    expect(f.verdict).toBe('correct');
    expect(f.message).toContain('the capital of Sumrisia is Harum');
  });

  it('asks for a layer when the answer is none, or a row the model lacks', () => {
    expect(judge(lensCheck, 'the third', facts).verdict).toBe('unreadable');
    expect(judge(lensCheck, '9', facts).verdict).toBe('unreadable');
  });
});

describe('judging the other questions', () => {
  it('accepts the least-separating layer and ties within the tolerance', () => {
    const check: LessonCheck = { kind: 'weakest-layer', tolerance: 0.01 };
    const facts = { separation: [0.205, 0.5, 0.2, 0.71, null] };
    expect(judge(check, '2', facts).verdict).toBe('correct');
    expect(judge(check, 'layer 0', facts).verdict).toBe('correct');
    const wrong = judge(check, '1', facts);
    expect(wrong.verdict).toBe('wrong');
    expect(wrong.message).toContain('shorter (0.20)');
    // A layer with no measure is no answer to "the shortest bar".
    expect(judge(check, '4', facts).verdict).toBe('wrong');
    expect(judge(check, '7', facts).verdict).toBe('unreadable');
  });

  it('judges refuses/answers by the steered refusal probability', () => {
    const check: LessonCheck = { kind: 'refusal-verdict', needs: 'ablate' };
    const ablated = { baseline: 0.97, steered: 0.08 };
    expect(judge(check, 'answers', ablated).verdict).toBe('correct');
    const wrong = judge(check, 'refuses', ablated);
    expect(wrong.verdict).toBe('wrong');
    expect(wrong.message).toContain('97%');
    expect(wrong.message).toContain('8%');
    expect(judge(check, 'refuses', { baseline: 0.97, steered: 0.9 }).verdict).toBe('correct');
    expect(judge(check, 'refuses', { baseline: 0.97, steered: 0.9 }).message).not.toContain('already');
    const induce: LessonCheck = { kind: 'refusal-verdict', needs: 'add' };
    const misjudged = judge(induce, 'refuses', { baseline: 0.96, steered: 0.99 });
    expect(misjudged.verdict).toBe('correct');
    expect(misjudged.message).toContain('already refused without the intervention');
  });

  it('accepts the head whose gate lowers the refusal most, and heads within the tolerance', () => {
    const check: LessonCheck = { kind: 'gate-head', tolerance: 0.1 };
    const facts: HeadFacts = {
      base: 5,
      heads: [
        { layer: 0, head: 0, score: 4.9 },
        { layer: 2, head: 1, score: 1 },
        { layer: 3, head: 0, score: 1.3 },
        { layer: 3, head: 1, score: 5.5 },
      ],
    };
    const right = judge(check, 'L2.H1', facts);
    expect(right.verdict).toBe('correct');
    expect(right.message).toContain('L2.H1 4.00');
    expect(judge(check, '3.0', facts).verdict).toBe('correct');
    expect(judge(check, 'L0.H0', facts).verdict).toBe('wrong');
    expect(judge(check, 'L3.H1', facts).verdict).toBe('wrong');
    expect(judge(check, 'L9.H9', facts).verdict).toBe('unreadable');
  });

  it('accepts no head when gating never lowers the refusal', () => {
    const check: LessonCheck = { kind: 'gate-head', tolerance: 0.1 };
    const facts: HeadFacts = { base: 5, heads: [{ layer: 0, head: 0, score: 5.2 }] };
    expect(judge(check, 'L0.H0', facts).verdict).toBe('wrong');
  });

  it("judges yes/no by whether the vector's lens promotes a sentiment word", () => {
    const check: LessonCheck = { kind: 'vector-lens-sentiment', top: 10 };
    const unreadable = { layer: 1, promoted: [' the', ' bridge', 'ing'] };
    expect(judge(check, 'no', unreadable).verdict).toBe('correct');
    expect(judge(check, 'yes', unreadable).verdict).toBe('wrong');
    const readable = { layer: 4, promoted: [' the', ' joyful'] };
    const yes = judge(check, 'yes', readable);
    expect(yes.verdict).toBe('correct');
    expect(yes.message).toContain('joyful');
  });

  it("judges yes/no by whether the FV's readout holds an answer's first token, and says both figures", () => {
    const check: LessonCheck = { kind: 'fv-readout', task: 'past_tense' };
    const effect = { task: 'past_tense', fewShot: 1, zeroShot: 0.53, zeroShotFv: 1 };
    const silent = { ...effect, readout: [' fall', ' ->', ' will'], readoutIsAnswer: [false, false, false] };
    const no = judge(check, 'no', silent);
    expect(no.verdict).toBe('correct');
    expect(no.message).toContain('from 53% to 100% (few-shot: 100%)');
    expect(judge(check, 'yes', silent).verdict).toBe('wrong');
    const spelled = { ...effect, readout: [' walked', ' the'], readoutIsAnswer: [true, false] };
    const yes = judge(check, 'yes', spelled);
    expect(yes.verdict).toBe('correct');
    expect(yes.message).toContain('" walked"');
    expect(judge(check, 'maybe', spelled).verdict).toBe('unreadable');
  });

  it('judges the introspection answer by P(the steered reply starts "yes"), and says both figures', () => {
    const check: LessonCheck = { kind: 'introspection-yes' };
    const facts = { baseline: 0.008, steered: 0.012, baselineTop: 'I', steeredTop: 'I', coefficient: 16 };
    const no = judge(check, 'no', facts);
    expect(no.verdict).toBe('correct');
    expect(no.message).toContain(
      'injected at 16, P(the reply starts "yes") is 1% (most likely first token "I")',
    );
    expect(no.message).toContain('without it, 1% ("I")');
    expect(judge(check, 'yes', facts).verdict).toBe('wrong');
    expect(judge(check, 'yes', { ...facts, steered: 0.7, steeredTop: 'Yes' }).verdict).toBe('correct');
    expect(judge(check, 'perhaps', facts).verdict).toBe('unreadable');
    expect(['Yes', ' yes', 'Ġyes', 'YES'].every(isYes)).toBe(true);
    expect(['Yesterday', 'no', ' y', 'yes!'].some(isYes)).toBe(false);
  });
});

describe('lesson routes', () => {
  it('reads the index and a lesson from the address', () => {
    expect(readRoute('?lessons')).toEqual({ kind: 'index' });
    expect(readRoute('?backend=wasm&lesson=gate-head')).toEqual({ kind: 'lesson', id: 'gate-head' });
    expect(readRoute('?backend=wasm')).toEqual({ kind: 'none' });
  });

  it('keeps other parameters and drops ?model= when a lesson names its own', () => {
    expect(searchFor({ kind: 'lesson', id: 'a-b' }, '?backend=wasm&model=x&lessons')).toBe(
      '?lesson=a-b&backend=wasm',
    );
    expect(searchFor({ kind: 'index' }, '?lesson=a&backend=wasm')).toBe('?lessons&backend=wasm');
    expect(searchFor({ kind: 'none' }, '?lesson=a')).toBe('');
  });
});
