/**
 * The expected result of a page run, computed in Node with interp's own functions on the same
 * model folder the page loaded: the e2e tests compare what the page shows against these.
 */
import { join } from 'node:path';
import { dirSource, generate, loadModel, type Model } from '../../../src/engine/node';
import { decode as decodeLink, type Experiment } from '../../../src/experiment';
import { type CompileContext, compile, encodeInput, type Intervention } from '../../../src/interp';
import { useBackend } from '../../support/backend';

/** A model folder the page loads, on WebAssembly as the page runs it here. */
export async function loadE2eModel(e2eModels: string, name: string): Promise<Model> {
  await useBackend('wasm');
  return loadModel(dirSource(join(e2eModels, name)));
}

/** The experiment a page's address holds (its hash). */
export async function experimentOf(url: string): Promise<Experiment> {
  const exp = await decodeLink(new URL(url).hash);
  if (!exp) throw new Error(`the page's address holds no experiment: ${url}`);
  return exp;
}

/** The greedy continuation of the experiment's prompt with these interventions, as the page shows it. */
export async function greedyText(
  model: Model,
  exp: Experiment,
  interventions: readonly Intervention[],
  context: Omit<CompileContext, 'model'>,
): Promise<string> {
  const prompt = encodeInput(model, exp.prompt.text, { chat: exp.prompt.chat });
  const compiled = compile(interventions, { model, ...context });
  try {
    const r = await generate(model, prompt, {
      maxTokens: exp.generation.maxTokens,
      temperature: 0,
      hooks: compiled.hooks,
    });
    return model.tokenizer!.decode(r.tokens, { skipSpecialTokens: true });
  } finally {
    compiled.dispose();
  }
}
