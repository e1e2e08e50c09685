import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError, SourceError } from '../../../../src/engine/errors';
import { readCheckpoint } from '../../../../src/engine/weights/checkpoint';
import { writeSafetensors } from '../../../../src/engine/weights/safetensors-write';
import type { Progress } from '../../../../src/engine/weights/source';
import { hubSource, urlSource } from '../../../../src/engine/weights/url-source';
import { type HubServer, startHubServer } from '../../../support/hub-server';
import { sharded, type TempFolder, tempFolder, tensor } from '../../../support/model-folder';

const weights = writeSafetensors({ w: tensor([64, 1024], (i) => i % 7), b: tensor([3]) });
let single: TempFolder;
let shards: TempFolder;
let other: TempFolder;
let hub: HubServer;
let slow: HubServer;

beforeAll(async () => {
  single = await tempFolder({ 'config.json': '{"model_type":"gpt2"}', 'model.safetensors': weights });
  shards = await tempFolder(sharded([{ a: tensor([2, 2]) }, { b: tensor([5], () => 3) }]));
  other = await tempFolder({ 'config.json': '{"revision":"v1"}' });
  const repos = { 'rudder/tiny': single.dir, 'rudder/sharded': shards.dir, 'rudder/tiny@v1': other.dir };
  hub = await startHubServer({
    repos: { ...repos, 'rudder/gated': single.dir },
    gated: { 'rudder/gated': 'hf_secret' },
    truncate: { 'rudder/tiny/model.safetensors': 1000 },
    redirectWeights: true,
  });
  slow = await startHubServer({ repos, throttle: { chunkBytes: 16 << 10, delayMs: 5 } });
});
afterAll(async () => {
  await Promise.all([hub.close(), slow.close(), single.remove(), shards.remove(), other.remove()]);
});

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: Error) => e,
  );

describe('hubSource / urlSource downloads', () => {
  it('streams a file with monotonic progress that ends at its size', async () => {
    const events: Progress[] = [];
    const src = hubSource('rudder/tiny', { endpoint: slow.url });
    const bytes = await src.readBytes('model.safetensors', (p) => events.push(p));
    expect(Buffer.from(bytes).equals(Buffer.from(weights))).toBe(true);
    expect(events.length).toBeGreaterThan(5);
    expect(events[0]).toEqual({ file: 'model.safetensors', loaded: 0, total: weights.length });
    expect(events.at(-1)).toEqual({
      file: 'model.safetensors',
      loaded: weights.length,
      total: weights.length,
    });
    for (let i = 1; i < events.length; i++) expect(events[i]!.loaded).toBeGreaterThan(events[i - 1]!.loaded);
  });

  it('reads from the revision asked for, and from a plain base URL', async () => {
    expect(
      await hubSource('rudder/tiny', { endpoint: hub.url, revision: 'v1' }).readText('config.json'),
    ).toBe('{"revision":"v1"}');
    const src = urlSource(`${hub.url}/rudder/tiny/resolve/main/`);
    expect(src.id).toBe(`${hub.url}/rudder/tiny/resolve/main`);
    expect(JSON.parse(await src.readText('config.json'))).toEqual({ model_type: 'gpt2' });
  });

  it('explains a missing file with the status, the URL and what to check', async () => {
    const e = await rejection(hubSource('rudder/tiny', { endpoint: hub.url }).readBytes('tokenizer.json'));
    expect(e).toBeInstanceOf(SourceError);
    expect(e.message).toBe(
      `tokenizer.json: HTTP 404 Not Found from ${hub.url}/rudder/tiny/resolve/main/tokenizer.json ("Entry not found"): the file does not exist there: check the repository, the revision and the file name`,
    );
  });

  it('explains an unknown or gated repo as refused access, and passes a token through', async () => {
    const unknown = await rejection(
      hubSource('nobody/nothing', { endpoint: hub.url }).readText('config.json'),
    );
    expect(unknown.message).toContain('HTTP 401 Unauthorized');
    expect(unknown.message).toContain('("Repository not found"): access was refused');
    expect(unknown.message).toContain('On the Hub, check that "nobody/nothing" exists');
    const gated = await rejection(hubSource('rudder/gated', { endpoint: hub.url }).has('config.json'));
    expect(gated).toBeInstanceOf(SourceError);
    expect(gated.message).toContain('Access to model rudder/gated is restricted');
    const withToken = hubSource('rudder/gated', {
      endpoint: hub.url,
      headers: { Authorization: 'Bearer hf_secret' },
    });
    expect(await withToken.readText('config.json')).toContain('gpt2');
  });

  it('sends an access token as Authorization: Bearer, which a gated repo needs (401 without)', async () => {
    const without = await rejection(hubSource('rudder/gated', { endpoint: hub.url }).readText('config.json'));
    expect(without.message).toContain('HTTP 401');
    expect(without.message).toContain('pass an access token');
    const hinted = await rejection(
      hubSource('rudder/gated', { endpoint: hub.url, tokenHint: 'enter it in the field' }).readText(
        'config.json',
      ),
    );
    expect(hinted.message).toMatch(
      /accept its terms on huggingface\.co\/rudder\/gated and enter it in the field$/,
    );
    const wrong = await rejection(
      hubSource('rudder/gated', { endpoint: hub.url, token: 'hf_wrong' }).readText('config.json'),
    );
    expect(wrong.message).toContain('HTTP 401');
    // A token was sent: the message asks whether it is the right one, not for a token, and never shows it.
    expect(wrong.message).toContain('that the access token is valid');
    expect(wrong.message).not.toContain('hf_wrong');
    const gated = hubSource('rudder/gated', { endpoint: hub.url, token: 'hf_secret' });
    expect(await gated.has('config.json')).toBe(true);
    expect(await gated.readText('config.json')).toContain('gpt2');
  });

  it('refuses a body shorter than its content-length, saying how much arrived', async () => {
    const e = await rejection(hubSource('rudder/tiny', { endpoint: hub.url }).readBytes('model.safetensors'));
    expect(e).toBeInstanceOf(SourceError);
    expect(e.message).toMatch(
      new RegExp(`^model\\.safetensors: .*(stopped after|received) 1000 of ${weights.length} bytes`),
    );
  });

  it('throws CancelledError when aborted before or during a download', async () => {
    const src = hubSource('rudder/tiny', { endpoint: slow.url });
    const ctrl = new AbortController();
    const during = src.readBytes('model.safetensors', (p) => p.loaded > 0 && ctrl.abort(), ctrl.signal);
    await expect(during).rejects.toBeInstanceOf(CancelledError);
    await expect(src.readText('config.json', ctrl.signal)).rejects.toBeInstanceOf(CancelledError);
  });

  it('reports an unreachable server as a network problem', async () => {
    const gone = await startHubServer({ repos: {} });
    await gone.close();
    const e = await rejection(urlSource(`${gone.url}/models/x`).readText('config.json'));
    expect(e).toBeInstanceOf(SourceError);
    expect(e.message).toMatch(
      /^config\.json: could not reach http:\/\/127\.0\.0\.1:\d+\/models\/x\/config\.json \(/,
    );
    expect(e.message).toContain('Check the network connection and the address');
  });

  it('answers has() with one HEAD request per file and remembers the answer', async () => {
    const src = hubSource('rudder/tiny', { endpoint: hub.url });
    const before = hub.requests.length;
    expect(await src.has('config.json')).toBe(true);
    expect(await src.has('config.json')).toBe(true);
    expect(await src.has('model.safetensors.index.json')).toBe(false);
    expect(hub.requests.slice(before).map((r) => r.method)).toEqual(['HEAD', 'HEAD']);
  });

  it('reads a sharded checkpoint through the Hub layout, following redirects to the CDN path', async () => {
    const before = hub.requests.length;
    const ckpt = await readCheckpoint(hubSource('rudder/sharded', { endpoint: hub.url }));
    expect(ckpt.names).toEqual(['a', 'b']);
    expect([...ckpt.read('b').data]).toEqual([3, 3, 3, 3, 3]);
    expect(
      hub.requests.slice(before).some((r) => r.path.startsWith('/cdn/rudder/sharded/main/model-0000')),
    ).toBe(true);
  });
});

describe('hubSource repo ids', () => {
  it('refuses ids that are not owner/name', () => {
    for (const id of ['gpt2', 'a/b/c', 'a--b/c', 'a/..b', '/x', 'a/b c', '', 'a/-b']) {
      expect(() => hubSource(id)).toThrow('is not a Hugging Face repo id: expected "owner/name"');
    }
  });

  it('builds the Hub URL with the revision encoded as one path segment', async () => {
    const src = hubSource('Org_1/model.v2-x', { revision: 'refs/pr/1', endpoint: 'http://127.0.0.1:9/' });
    expect(src.id).toBe('hub:Org_1/model.v2-x@refs/pr/1');
    const e = await rejection(src.readText('config.json'));
    expect(e.message).toContain('http://127.0.0.1:9/Org_1/model.v2-x/resolve/refs%2Fpr%2F1/config.json');
  });
});
