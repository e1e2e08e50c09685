import { describe, expect, it } from 'vitest';
import { hubTokenFor, readHubToken, writeHubToken } from '../../../src/app/hub-token';

describe('the Hub access token', () => {
  it('goes to the Hugging Face Hub and a stand-in on this machine, trimmed', () => {
    expect(hubTokenFor(' hf_abc \n', undefined)).toBe('hf_abc');
    expect(hubTokenFor('hf_abc', 'https://huggingface.co')).toBe('hf_abc');
    expect(hubTokenFor('hf_abc', 'http://127.0.0.1:8123')).toBe('hf_abc');
    expect(hubTokenFor('hf_abc', 'http://localhost:8123')).toBe('hf_abc');
  });

  it('never goes to another server a link names with ?hub=, nor when empty', () => {
    expect(hubTokenFor('hf_abc', 'https://evil.example')).toBeUndefined();
    expect(hubTokenFor('hf_abc', 'https://huggingface.co.evil.example')).toBeUndefined();
    expect(hubTokenFor('hf_abc', 'http://localhost.evil.example')).toBeUndefined();
    expect(hubTokenFor('hf_abc', 'not a url')).toBeUndefined();
    expect(hubTokenFor('  ', undefined)).toBeUndefined();
  });

  it('is kept in sessionStorage only, and reading or writing without one is harmless', () => {
    const stores = () => ({
      session: (globalThis as { sessionStorage?: Storage }).sessionStorage,
      local: (globalThis as { localStorage?: Storage }).localStorage,
    });
    expect(stores().session).toBeUndefined(); // Node: no storage at all
    expect(readHubToken()).toBe('');
    expect(() => writeHubToken('hf_abc')).not.toThrow();

    const session = new Map<string, string>();
    const fake = {
      getItem: (k: string) => session.get(k) ?? null,
      setItem: (k: string, v: string) => void session.set(k, v),
      removeItem: (k: string) => void session.delete(k),
    };
    (globalThis as { sessionStorage?: unknown }).sessionStorage = fake;
    try {
      writeHubToken('hf_abc');
      expect(readHubToken()).toBe('hf_abc');
      expect([...session.values()]).toEqual(['hf_abc']);
      writeHubToken('');
      expect(session.size).toBe(0);
      expect(stores().local).toBeUndefined();
    } finally {
      delete (globalThis as { sessionStorage?: unknown }).sessionStorage;
    }
  });
});
