/**
 * The engine in Node (CLI, tests, benchmarks): everything in `./index`, plus the filesystem
 * source and a way to name a model by directory, URL or Hub repo id.
 */
import { existsSync } from 'node:fs';
import { hubSource, type ModelSource, urlSource } from './weights';
import { dirSource } from './weights/node-source';

export * from './index';
export { dirSource };

/**
 * `./models/x` or `/abs/dir` → directory; `http(s)://…` → URL; `owner/name[@rev]` → the Hub, with
 * the access token in HF_TOKEN (as huggingface_hub reads it) for gated repos.
 */
export function sourceFromArg(
  arg: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): ModelSource {
  if (/^https?:\/\//.test(arg)) return urlSource(arg);
  if (existsSync(arg)) return dirSource(arg);
  const hub = /^([\w.-]+\/[\w.-]+)(?:@([\w./-]+))?$/.exec(arg);
  if (hub) {
    const token = env.HF_TOKEN;
    return hubSource(hub[1]!, {
      ...(hub[2] ? { revision: hub[2] } : {}),
      ...(token ? { token } : {}),
      tokenHint: 'set HF_TOKEN to an access token (huggingface.co/settings/tokens)',
    });
  }
  return dirSource(arg); // reports the missing directory clearly
}
