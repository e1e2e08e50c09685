/**
 * `generation_config.json`: where the model card says generation stops. Chat models often list
 * more end tokens there than config.json has (Phi-3: config.json says 32000 `<|endoftext|>`,
 * generation_config.json adds 32001 and 32007 `<|end|>`; Llama 3 Instruct adds 128009
 * `<|eot_id|>`), and transformers' generate() stops on these, so the engine does too.
 */
import { RudderError, shownValue } from './errors';
import { isTokenId, MAX_STOP_IDS, MAX_VOCAB } from './families/bounds';

export const GENERATION_CONFIG_FILE = 'generation_config.json';

/** The end-of-generation ids the file lists, or undefined when it names none. */
export function eosFromGenerationConfig(json: unknown): number[] | undefined {
  const fail = (problem: string) =>
    new RudderError('bad-generation-config', `${GENERATION_CONFIG_FILE}: ${problem}`);
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw fail('must hold a JSON object.');
  const eos = (json as Record<string, unknown>).eos_token_id;
  if (eos === undefined || eos === null) return undefined;
  if (isTokenId(eos)) return [eos];
  if (Array.isArray(eos) && eos.length > 0 && eos.length <= MAX_STOP_IDS && eos.every(isTokenId))
    return [...eos];
  throw fail(
    `"eos_token_id" must be a token id (an integer below ${MAX_VOCAB}) or a list of at most ${MAX_STOP_IDS} of them, but it is ${shownValue(eos)}.`,
  );
}
