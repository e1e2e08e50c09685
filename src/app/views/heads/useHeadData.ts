/**
 * The head view's data from the worker: the scores of the current prompt (re-asked shortly after
 * the prompt or the measure changes; the worker cancels a stale request) and the attention
 * pattern of the hovered head (cached per prompt, so moving over the grid asks once per head).
 * Results stay in the view: nothing else reads them.
 */
import { useEffect, useRef, useState } from 'react';
import type { AttentionPattern, HeadMeasure, HeadScores } from '../../../worker';
import { errorOf } from '../../actions/errors';
import type { ShownError } from '../../store';
import { modelWorker } from '../../worker';
import type { HeadRef } from './HeadGrid';

/**
 * An edit after a quiet spell is scored at once; edits in quick succession (typing) wait for a
 * pause this long, so that the worker is not kept busy with prompts already typed over.
 */
const DELAY_MS = 100;

export interface ScoresQuery {
  readonly modelId: string | undefined;
  readonly prompt: string;
  readonly chat: boolean;
  readonly measure: HeadMeasure;
  readonly tokens: { readonly target: number; readonly baseline: number } | undefined;
  readonly counterpart: string;
}

export interface ScoresState {
  readonly status: 'idle' | 'running' | 'done' | 'error';
  /** The last scores (kept on screen while newer ones compute). */
  readonly scores: HeadScores | undefined;
  readonly error: ShownError | undefined;
  /** Answers received so far (timings and tests wait for the next one). */
  readonly run: number;
}

export function useHeadScores(q: ScoresQuery): ScoresState {
  const [state, setState] = useState<ScoresState>({
    status: 'idle',
    scores: undefined,
    error: undefined,
    run: 0,
  });
  const key = JSON.stringify(q);
  const pace = useRef({ edit: Number.NEGATIVE_INFINITY, inFlight: 0 });
  useEffect(() => {
    if (!q.modelId) {
      setState((s) => ({ status: 'idle', scores: undefined, error: undefined, run: s.run }));
      return;
    }
    let stale = false;
    setState((s) => ({ ...s, status: 'running' }));
    const now = performance.now();
    const quiet = now - pace.current.edit > DELAY_MS && pace.current.inFlight === 0;
    pace.current.edit = now;
    const timer = setTimeout(
      () => {
        pace.current.inFlight++;
        modelWorker()
          .headScores({
            prompt: q.prompt,
            chat: q.chat,
            measure: q.measure,
            ...(q.tokens && q.measure === 'dla' ? { tokens: q.tokens } : {}),
            ...(q.counterpart.trim() && q.measure === 'patch' ? { counterpart: q.counterpart } : {}),
          })
          .then(
            (scores) => {
              if (!stale) setState((s) => ({ status: 'done', scores, error: undefined, run: s.run + 1 }));
            },
            (e) => {
              const error = errorOf(e);
              if (stale || error.code === 'cancelled') return;
              setState((s) => ({ status: 'error', scores: s.scores, error, run: s.run + 1 }));
            },
          )
          .finally(() => {
            pace.current.inFlight--;
          });
      },
      quiet ? 0 : DELAY_MS,
    );
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [key]);
  return state;
}

/** The pattern of `head` over the prompt; the last one shown stays while the next one loads. */
export function usePattern(
  modelId: string | undefined,
  prompt: string,
  chat: boolean,
  head: HeadRef | undefined,
): { pattern: AttentionPattern | undefined; error: ShownError | undefined } {
  const cache = useRef(new Map<string, AttentionPattern>());
  const promptKey = JSON.stringify([modelId, prompt, chat]);
  const [shown, setShown] = useState<{ pattern?: AttentionPattern; error?: ShownError }>({});
  const lastPrompt = useRef(promptKey);
  if (lastPrompt.current !== promptKey) {
    lastPrompt.current = promptKey;
    cache.current.clear();
  }
  const layer = head?.layer;
  const h = head?.head;
  useEffect(() => {
    if (!modelId || layer === undefined || h === undefined) return;
    const key = `${layer}.${h}`;
    const hit = cache.current.get(key);
    if (hit) {
      setShown({ pattern: hit });
      return;
    }
    let stale = false;
    modelWorker()
      .attentionPattern({ prompt, chat, layer, head: h })
      .then(
        (p) => {
          cache.current.set(key, p);
          if (!stale) setShown({ pattern: p });
        },
        (e) => {
          if (!stale) setShown((s) => ({ ...s, error: errorOf(e) }));
        },
      );
    return () => {
      stale = true;
    };
  }, [promptKey, layer, h]);
  return { pattern: shown.pattern, error: shown.error };
}
