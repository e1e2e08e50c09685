/**
 * ActAdd (Turner et al.; montemac/activation_additions): the per-position difference of
 * `resid_pre[l]` between two prompts, BOS prepended, the shorter right-padded with a space token.
 * Applied with front alignment (compile's `{ kind: 'front' }` positions).
 */
import { disposeResult, hookName, type Model, RudderError } from '../../engine';
import type { PromptInput } from '../recipe';
import type { SteeringVector } from '../vector';

export interface ActAddOptions {
  readonly positive: PromptInput;
  readonly negative: PromptInput;
  readonly layer: number;
  /**
   * Padding for the shorter prompt; default the last token of " " (ActAdd's space). Token-id
   * prompts need it given unless they already have the same length.
   */
  readonly padToken?: number;
}

export async function buildActAdd(model: Model, opts: ActAddOptions): Promise<SteeringVector> {
  const { spec } = model;
  if (!Number.isInteger(opts.layer) || opts.layer < 0 || opts.layer >= spec.nLayers)
    throw new RudderError(
      'bad-layer',
      `Layer ${opts.layer} does not exist (the model has 0..${spec.nLayers - 1}).`,
    );
  const pos = encodeWithBos(model, opts.positive);
  const neg = encodeWithBos(model, opts.negative);
  const n = Math.max(pos.length, neg.length);
  if (pos.length !== neg.length) {
    const pad = opts.padToken ?? model.tokenizer?.encode(' ', { addSpecialTokens: false }).at(-1);
    if (pad === undefined)
      throw new RudderError(
        'no-pad-token',
        'The prompts differ in length: give padToken (ActAdd pads with a space).',
      );
    for (const p of [pos, neg]) while (p.length < n) p.push(pad);
  }
  // Each prompt runs alone: both rows then go through the same kernels with the same shapes, so
  // positions where the prompts agree (BOS at least) differ by exactly zero.
  const hook = hookName('resid_pre', opts.layer);
  const read = async (tokens: number[]) => {
    const r = model.run(tokens, { cache: [hook], logits: 'none' });
    try {
      return (await r.cache.get(hook)!.data()) as Float32Array;
    } finally {
      disposeResult(r);
    }
  };
  const a = await read(pos);
  const b = await read(neg);
  const diff = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) diff[i] = a[i]! - b[i]!;
  return {
    modelId: model.id,
    hook: 'resid_pre',
    width: spec.dModel,
    rows: n,
    layers: { [opts.layer]: diff },
    recipe: {
      from: 'actadd',
      model: model.id,
      positive: typeof opts.positive === 'string' ? opts.positive : [...opts.positive],
      negative: typeof opts.negative === 'string' ? opts.negative : [...opts.negative],
      layer: opts.layer,
    },
  };
}

/** Text gets BOS prepended (as TransformerLens's to_tokens does); token ids are taken as given. */
function encodeWithBos(model: Model, input: PromptInput): number[] {
  if (typeof input !== 'string') {
    if (input.length === 0) throw new RudderError('empty-input', 'A prompt needs at least one token.');
    return [...input];
  }
  const tok = model.tokenizer;
  if (!tok) throw new RudderError('no-tokenizer', `Model "${model.id}" has no tokenizer: give token ids.`);
  const bos = model.spec.bosTokenId ?? tok.bosTokenId;
  if (bos === undefined)
    throw new RudderError('no-bos', `Model "${model.id}" defines no BOS token, which ActAdd prepends.`);
  return [bos, ...tok.encode(input, { addSpecialTokens: false })];
}
