/**
 * The share jobs: the run's activation fingerprint (METHODS.md §16), compared with the author's
 * when the experiment carries one, and the current model with an edit as a Hugging Face folder
 * (§5 weight orthogonalisation, §8 Steer2Edit). The fingerprint reads the steered run when
 * anything steers, so a replay that built a different vector does not match.
 */
import * as tf from '@tensorflow/tfjs-core';
import { RudderError } from '../../engine';
import { completePairs, fingerprintField, fingerprintFromField, steeringLayers } from '../../experiment';
import {
  activationFingerprint,
  applyWeightEdits,
  compareFingerprints,
  compile,
  defaultFingerprintSpec,
  exportModelFolder,
  orthogonalizeWeights,
  steer2editEdits,
} from '../../interp';
import type { ExportedModelFiles, ShareMethods } from '../api';
import type { HostContext } from './context';
import { resolveSteering } from './steering';

/** Steer2Edit's ρ for heads and neurons in the page's export (the reference's defaults). */
const STEER2EDIT_RHO = 0.5;

/** A backend's float precision as the banner names it (WebGL may fall back to float16 textures). */
export function precisionOf(backend: string): string {
  return backend === 'webgl' ? 'float16 or float32' : 'float32';
}

/**
 * The exported folder's name from a model id, which may be a path (`/models/organism-llama`), a
 * Hub repo (`owner/name`) or a URL: its last segment, in characters any file system and the zip
 * reader accept.
 */
export function exportFolderName(modelId: string): string {
  const last =
    modelId
      .replace(/[/\\]+$/, '')
      .split(/[/\\]/)
      .pop() ?? '';
  return last.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[.-]+/, '') || 'model';
}

export function shareMethods(ctx: HostContext): ShareMethods {
  return {
    fingerprint: (request) =>
      ctx.slots.fingerprint.run(async (signal) => {
        const { cur, exp, prompt } = ctx.read(request.experiment);
        const { model } = cur;
        const reference = exp.fingerprint ? fingerprintFromField(exp.fingerprint) : undefined;
        const base = defaultFingerprintSpec(model.spec.nLayers);
        // A short prompt has fewer than the default positions: read all it has.
        const spec = reference?.fingerprint.spec ?? {
          ...base,
          positions: Math.min(base.positions, prompt.length),
        };
        const steering = await resolveSteering(cur, exp, prompt, signal);
        const compiled = compile(steering.interventions, { model, ...steering.context });
        let fp: Awaited<ReturnType<typeof activationFingerprint>>;
        try {
          fp = await activationFingerprint(model, prompt, spec, { hooks: compiled.hooks });
        } finally {
          compiled.dispose();
        }
        const backend = tf.getBackend();
        const precision = `float${tf.backend().floatPrecision()}`;
        if (!reference) return { field: fingerprintField(fp, backend), backend, precision };
        const c = compareFingerprints(reference.fingerprint, fp, [reference.backend, backend]);
        return {
          field: fingerprintField(fp, backend),
          backend,
          precision,
          check: {
            verdict: c.verdict,
            maxRelDiff: c.maxRelDiff,
            tolerance: c.tolerance,
            reference: { backend: reference.backend, precision: precisionOf(reference.backend) },
          },
        };
      }),
    exportModel: (request) =>
      ctx.slots.export.run(async (): Promise<ExportedModelFiles> => {
        const cur = ctx.require();
        const { model, source } = cur;
        if (!source)
          throw new RudderError(
            'no-source',
            `${model.id} has no folder to copy its config and tokenizer from.`,
          );
        const exp = ctx.experiment(request.experiment);
        let spec = model.spec;
        let weights = model.hostWeights();
        let note: string;
        let suffix: string;
        if (request.edit.kind === 'orthogonalize-refusal') {
          const r = request.edit.vector;
          if (r.model !== model.id)
            throw new RudderError(
              'incompatible-vector',
              `The refusal direction was found on ${r.model}, not ${model.id}: find it again on this model.`,
            );
          const direction = (await cur.vectors.refusalVector(r)).layers[r.layer]!;
          ({ spec, weights } = orthogonalizeWeights(spec, weights, direction));
          note = `${model.id} with the refusal direction (layer ${r.layer}, position ${r.position}) orthogonalised out of every residual write (Arditi et al. weight form).`;
          suffix = 'refusal-removed';
        } else {
          const pairs = completePairs(exp.steering.pairs);
          if (pairs.length === 0)
            throw new RudderError(
              'no-pairs',
              'Steer2Edit reads the steering pairs: write at least one pair first.',
            );
          const layers = new Set(steeringLayers(exp.steering, spec.nLayers));
          const all = await steer2editEdits(model, {
            pairs,
            chat: exp.steering.chat,
            rhoAttn: STEER2EDIT_RHO,
            rhoMlp: STEER2EDIT_RHO,
          });
          // The steering loop's layers only: the edit is the one the person steers with.
          const edits = {
            ...all,
            heads: all.heads.filter((e) => layers.has(e.layer)),
            neurons: all.neurons.filter((e) => layers.has(e.layer)),
          };
          weights = applyWeightEdits(spec, weights, edits);
          note = `${model.id} with Steer2Edit rank-1 edits from ${pairs.length} steering pairs at layer ${[...layers].join(', ')}: ${edits.heads.length} heads, ${edits.neurons.length} MLP neurons (ρ ${STEER2EDIT_RHO}, α 0.95).`;
          suffix = 'steer2edit';
        }
        const { files } = await exportModelFolder(source, spec, weights, note);
        const text = new TextEncoder();
        const out = [...files].map(([name, data]) => ({
          name,
          data: typeof data === 'string' ? text.encode(data) : data,
        }));
        const name = `${exportFolderName(model.id)}-${suffix}`;
        out.push({ name: 'README.md', data: text.encode(`# ${name}\n\n${note}\n\nExported by Rudder.\n`) });
        return { files: out, note, name };
      }),
  };
}
