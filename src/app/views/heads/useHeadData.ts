/**
 * When the head view asks for its data (the asking itself is actions/heads.ts): the scores of the
 * current prompt, shortly after the prompt or the measure changes, and the pattern of the hovered
 * head. The last scores and pattern stay on screen while newer ones compute.
 */
import { useEffect, useRef } from 'react';
import type { AttentionPattern, HeadScores } from '../../../worker';
import { readPattern, type ScoresQuery, scoreHeads } from '../../actions/heads';
import { type JobState, type ShownError, useStore } from '../../store';
import type { HeadRef } from './HeadGrid';

/**
 * An edit after a quiet spell is scored at once; edits in quick succession (typing) wait for a
 * pause this long, so that the worker is not kept busy with prompts already typed over.
 */
const DELAY_MS = 100;

export function useHeadScores(
  q: ScoresQuery & { readonly modelId: string | undefined },
): JobState<HeadScores> {
  const prompt = useStore((s) => s.experiment.prompt);
  const key = JSON.stringify([q, prompt]);
  const pace = useRef({ edit: Number.NEGATIVE_INFINITY });
  useEffect(() => {
    if (!q.modelId) return;
    const now = performance.now();
    const quiet = now - pace.current.edit > DELAY_MS && useStore.getState().heads.status !== 'running';
    pace.current.edit = now;
    const timer = setTimeout(() => void scoreHeads(q), quiet ? 0 : DELAY_MS);
    return () => clearTimeout(timer);
  }, [key]);
  return useStore((s) => s.heads);
}

/** The pattern of `head` over the prompt; the last one shown stays while the next one loads. */
export function usePattern(
  modelId: string | undefined,
  head: HeadRef | undefined,
): { pattern: AttentionPattern | undefined; error: ShownError | undefined } {
  const layer = head?.layer;
  const h = head?.head;
  const prompt = useStore((s) => s.experiment.prompt);
  useEffect(() => {
    if (modelId && layer !== undefined && h !== undefined) void readPattern(layer, h);
  }, [modelId, prompt, layer, h]);
  const state = useStore((s) => s.pattern);
  return { pattern: state.result, error: state.status === 'error' ? state.error : undefined };
}
