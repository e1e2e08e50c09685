/**
 * The experiment in the URL hash, so a link carries it with no server:
 *
 *     #e1.<n>.<payload>
 *
 * `e1` is the link format's version (a newer one is refused before anything is parsed); `n` is
 * the payload's length in base 36, so a link cut short says so instead of failing somewhere
 * inside; the payload is base64url of deflate-raw(JSON) followed by a 4-byte FNV-1a checksum of
 * the JSON, so a changed character is caught even where deflate would not notice.
 *
 * Compression is the platform's CompressionStream (browsers, Node 20), so no dependency. Both
 * functions only ever reject with ExperimentError.
 */
import { EXPERIMENT_VERSION, type Experiment, ExperimentSchema } from './schema';
import { ExperimentError, experimentFrom, newerError } from './validate';

/** Longest hash accepted or produced; beyond it, export a file instead. */
export const MAX_LINK_CHARS = 32 * 1024;
/** A small link must not inflate into an arbitrarily large string. */
const MAX_JSON_BYTES = 2 * 1024 * 1024;

const PREFIX = /^e(\d+)\.([0-9a-z]{1,8})\.([A-Za-z0-9_-]*)$/;

/** The hash (without '#') that holds `exp`. Rejects with experiment-too-large past the limit. */
export async function encode(exp: Experiment): Promise<string> {
  const checked = ExperimentSchema.safeParse(exp);
  if (!checked.success)
    throw new ExperimentError(
      'experiment-invalid',
      `The experiment cannot be put in a link: ${checked.error.issues[0]?.message ?? 'it is not valid'}.`,
    );
  const json = new TextEncoder().encode(JSON.stringify(checked.data));
  const deflated = await transform(json, new CompressionStream('deflate-raw'), Number.POSITIVE_INFINITY);
  const bytes = new Uint8Array(deflated.length + 4);
  bytes.set(deflated);
  new DataView(bytes.buffer).setUint32(deflated.length, fnv1a(json));
  const payload = toBase64Url(bytes);
  const hash = `e${EXPERIMENT_VERSION}.${payload.length.toString(36)}.${payload}`;
  if (hash.length > MAX_LINK_CHARS) {
    throw new ExperimentError(
      'experiment-too-large',
      `This experiment is too large for a link (${kb(hash.length)} compressed; the limit is ${kb(MAX_LINK_CHARS)}). Use Export to save it as a file, or remove some pairs.`,
    );
  }
  return hash;
}

/**
 * The hash for a link to `exp`. When an imported vector makes it too large, the hash of the
 * experiment without that vector, marked `vectorBeside` with the file that carries it (`file`,
 * the experiment exported whole); `beside` says which. Rejects as `encode` does otherwise.
 */
export async function encodeLink(exp: Experiment, file: string): Promise<{ hash: string; beside: boolean }> {
  try {
    return { hash: await encode(exp), beside: false };
  } catch (e) {
    const { vector, ...steering } = exp.steering;
    if (!(e instanceof ExperimentError && e.code === 'experiment-too-large') || !vector) throw e;
    const vectorBeside = { file, ...(vector.name ? { name: vector.name } : {}) };
    return { hash: await encode({ ...exp, steering: { ...steering, vectorBeside } }), beside: true };
  }
}

/** The experiment in a hash ('#…' or '…'); undefined for an empty hash. */
export async function decode(hash: string): Promise<Experiment | undefined> {
  const h = hash.startsWith('#') ? hash.slice(1) : hash;
  if (h === '') return undefined;
  if (h.length > MAX_LINK_CHARS) {
    throw new ExperimentError(
      'experiment-too-large',
      `This link is too large (${kb(h.length)}; the limit is ${kb(MAX_LINK_CHARS)}). Ask for the experiment as an exported file instead.`,
    );
  }
  const m = PREFIX.exec(h);
  if (!m) {
    const version = /^e(\d+)\./.exec(h);
    if (version && Number(version[1]) > EXPERIMENT_VERSION) throw newerError(Number(version[1]), 'link');
    throw new ExperimentError(
      'experiment-malformed',
      'The part of this link after “#” is not a Rudder experiment. Check that the whole link was copied, or start from the page without it.',
    );
  }
  const [, version, lengthText, payload] = m as unknown as [string, string, string, string];
  if (Number(version) > EXPERIMENT_VERSION) throw newerError(Number(version), 'link');
  if (Number(version) < 1)
    throw new ExperimentError('experiment-malformed', `Link format e${version} does not exist.`);
  const expected = Number.parseInt(lengthText, 36);
  if (payload.length < expected) {
    throw new ExperimentError(
      'experiment-truncated',
      `This link was cut short (${payload.length} of ${expected} characters arrived). Copy the whole link again; chat apps and e-mail sometimes break long links.`,
    );
  }
  if (payload.length > expected) {
    throw new ExperimentError(
      'experiment-damaged',
      'This link has characters added to its end. Copy the link again from where it was shared.',
    );
  }
  try {
    const bytes = fromBase64Url(payload);
    if (bytes.length < 5) throw new Error('too short');
    const body = bytes.subarray(0, bytes.length - 4);
    const check = new DataView(bytes.buffer, bytes.byteOffset + body.length, 4).getUint32(0);
    const json = await transform(body, new DecompressionStream('deflate-raw'), MAX_JSON_BYTES);
    if (fnv1a(json) !== check) throw new Error('checksum mismatch');
    const data: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
    return experimentFrom(data, 'link');
  } catch (e) {
    if (e instanceof ExperimentError) throw e;
    throw new ExperimentError(
      'experiment-damaged',
      `This link is damaged: some of its characters were changed, so the experiment cannot be read (${errorText(e)}). Copy the link again from where it was shared.`,
    );
  }
}

async function transform(
  input: Uint8Array,
  stream: CompressionStream | DecompressionStream,
  limit: number,
): Promise<Uint8Array> {
  const writer = stream.writable.getWriter();
  // Errors surface on the read side; the write side's own rejections are expected then.
  writer.write(input as Uint8Array<ArrayBuffer>).catch(() => {});
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => {});
      throw new ExperimentError(
        'experiment-too-large',
        `This link unpacks to more than ${kb(limit)}, more than any experiment needs; it was refused.`,
      );
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

function fnv1a(bytes: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function toBase64Url(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(text: string): Uint8Array {
  if (text.length % 4 === 1) throw new Error('a base64 length that cannot occur');
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (text.length % 4)) % 4);
  const s = atob(b64);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e));
