/** Exposes the model worker's client to the test, to exercise the worker API without the UI. */
import { createWorkerClient, type Experiment, type TokenEvent, WorkerCallError } from '../../../src/worker';

const client = createWorkerClient();

/** Runs `fn` and returns its result, or the { code, message } it failed with. */
async function settle<T>(
  fn: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; code: string; message: string }> {
  try {
    return { ok: true, value: await fn() };
  } catch (e) {
    if (e instanceof WorkerCallError) return { ok: false, code: e.code, message: e.message };
    return { ok: false, code: 'not-a-worker-error', message: String(e) };
  }
}

/** The baseline continuation of a prompt with these generation settings (an experiment of just that). */
async function baselineOf(
  text: string,
  generation: Partial<Experiment['generation']>,
  onToken?: (t: TokenEvent) => void,
) {
  const out = await client.generate(
    { experiment: { version: 1, prompt: { text }, generation }, sides: 'both' },
    onToken,
  );
  return out.baseline!;
}

declare global {
  interface Window {
    rudderWorker: { client: typeof client; settle: typeof settle; baselineOf: typeof baselineOf };
  }
}
window.rudderWorker = { client, settle, baselineOf };
document.getElementById('status')!.textContent = 'ready';
