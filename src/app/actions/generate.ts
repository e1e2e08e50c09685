/** Generation: streams tokens into the results slice; a newer run supersedes an older one. */
import { useStore } from '../store';
import { modelWorker } from '../worker';
import { errorOf } from './errors';

const { getState, setState } = useStore;

export async function generate(): Promise<void> {
  const { prompt, chat, settings, generation } = getState();
  const runId = generation.runId + 1;
  setState({ generation: { runId, status: 'running', prompt, text: '', tokenCount: 0 } });
  const current = () => getState().generation.runId === runId;
  try {
    const out = await modelWorker().generate(
      {
        prompt,
        chat,
        maxTokens: settings.maxTokens,
        temperature: settings.temperature,
        topP: settings.topP,
        seed: settings.seed,
      },
      (t) => {
        if (!current()) return;
        setState((s) => ({
          generation: { ...s.generation, text: s.generation.text + t.text, tokenCount: t.index + 1 },
        }));
      },
    );
    if (!current()) return;
    setState({
      generation: {
        runId,
        status: 'done',
        prompt,
        text: out.text,
        tokenCount: out.tokens.length,
        stopReason: out.stopReason,
        ms: out.ms,
      },
    });
  } catch (e) {
    if (!current()) return;
    setState((s) => ({ generation: { ...s.generation, status: 'error', error: errorOf(e) } }));
  }
}

export function stop(): void {
  void modelWorker().cancel();
}
