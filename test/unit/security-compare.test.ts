import * as crypto from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';

// Token and webhook-secret comparison (SPEC §8) must not reveal through its timing which token
// matched or how much of a guess was right. Wall-clock timing tests are flaky on a loaded
// 2-core CI machine, so this checks the property that makes the timing flat instead: every
// comparison is timingSafeEqual over SHA-256 digests of equal length, and every configured
// token is compared whatever matches first.

vi.mock('node:crypto', async (importOriginal) => {
  const original = await importOriginal<typeof crypto>();
  return { ...original, timingSafeEqual: vi.fn(original.timingSafeEqual) };
});

const { tokenAuthenticator } = await import('../../api/auth.js');
const { secretsEqual } = await import('../../api/webhook.js');
const compare = vi.mocked(crypto.timingSafeEqual);

const TOKENS = {
  viewer: ['viewer-token-aaaaaaaaaaaaaaaa', 'viewer-token-bbbbbbbbbbbbbbbb'],
  operator: ['operator-token-cccccccccccccccc'],
  admin: ['admin-token-dddddddddddddddd'],
};

afterEach(() => compare.mockClear());

function lengths() {
  return compare.mock.calls.map(([a, b]) => [(a as Buffer).length, (b as Buffer).length]);
}

describe('API token comparison', () => {
  const authenticate = tokenAuthenticator(TOKENS);

  it.each([
    ['the first token', `Bearer ${TOKENS.viewer[0]}`, 'viewer'],
    ['the last token', `Bearer ${TOKENS.admin[0]}`, 'admin'],
    ['a token off by its last character', `Bearer ${TOKENS.admin[0]!.slice(0, -1)}e`, undefined],
    ['a one-character guess', 'Bearer x', undefined],
    ['a 10 kB guess', `Bearer ${'x'.repeat(10_000)}`, undefined],
  ])('%s: compares every configured token, as 32-byte digests', (_name, header, role) => {
    expect(authenticate(header)?.role).toBe(role);
    expect(lengths()).toEqual(Array(4).fill([32, 32]));
  });

  it('never compares the token text itself', () => {
    authenticate(`Bearer ${TOKENS.operator[0]}`);
    for (const [a, b] of compare.mock.calls) {
      expect(Buffer.from(a as Buffer).toString()).not.toContain('token');
      expect(Buffer.from(b as Buffer).toString()).not.toContain('token');
    }
  });
});

describe('webhook secret comparison', () => {
  it.each([
    ['the secret', 'webhook-secret-0123456789', true],
    ['a prefix of it', 'webhook-secret-012345678', false],
    ['it and more', 'webhook-secret-0123456789-and-more', false],
    ['empty', '', false],
  ])('%s: one comparison of 32-byte digests', (_name, given, equal) => {
    expect(secretsEqual(given, 'webhook-secret-0123456789')).toBe(equal);
    expect(lengths()).toEqual([[32, 32]]);
  });
});
