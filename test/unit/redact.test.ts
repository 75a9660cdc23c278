import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { REDACTED, redactSecretData, redactUrl } from '../../src/redact.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const logger = createLogger({ name: 't', level: 'info', format: 'json', destination: stream });
  return { logger, lines };
}

describe('redactUrl', () => {
  it('hides user and password', () => {
    const out = redactUrl('redis://admin:hunter2@redis:6379/0');
    expect(out).not.toContain('hunter2');
    expect(out).not.toContain('admin');
    expect(out).toContain('redis:6379/0');
  });

  it('leaves URLs without credentials unchanged', () => {
    expect(redactUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('does not echo something that is not a URL', () => {
    expect(redactUrl('not a url :secret')).toBe(REDACTED);
  });
});

describe('redactSecretData', () => {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'gw-cert' },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': 'Q0VSVA==', 'tls.key': 'S0VZ' },
    stringData: { extra: 'plain' },
  };

  it('replaces Secret values but keeps the keys', () => {
    const out = redactSecretData(secret);
    expect(out.data).toEqual({ 'tls.crt': REDACTED, 'tls.key': REDACTED });
    expect(out.stringData).toEqual({ extra: REDACTED });
    expect(out.metadata).toEqual(secret.metadata);
    expect(secret.data['tls.key']).toBe('S0VZ');
  });

  it('redacts Secrets inside lists and leaves other kinds alone', () => {
    const configMap = { kind: 'ConfigMap', data: { a: 'b' } };
    const out = redactSecretData({ kind: 'List', items: [secret, configMap] });
    expect(JSON.stringify(out)).not.toContain('S0VZ');
    expect(out.items[1]).toEqual(configMap);
  });
});

describe('logger', () => {
  it('never writes Authorization headers, tokens or Secret data', () => {
    const { logger, lines } = capture();
    logger.info({ req: { headers: { authorization: 'Bearer abc123', host: 'h' } } }, 'request');
    logger.info({ token: 'tok-1', nested: { password: 'pw-2', secret: 'sec-3' } }, 'creds');
    logger.info({ object: { kind: 'Secret', data: { 'tls.key': 'S0VZ' } } }, 'applied');
    logger.info({ prometheus: { bearerToken: 'bt-4' }, webhook: { webhookSecret: 'ws-5' } }, 'x');
    const text = lines.join('\n');
    for (const leaked of ['abc123', 'tok-1', 'pw-2', 'sec-3', 'S0VZ', 'bt-4', 'ws-5']) {
      expect(text).not.toContain(leaked);
    }
    expect(text).toContain('"host":"h"');
    expect(text).toContain('"tls.key":"[REDACTED]"');
  });

  it('writes one JSON object per line when asked for JSON', () => {
    const { logger, lines } = capture();
    logger.info({ run: 'r1' }, 'hello');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({
      name: 't',
      msg: 'hello',
      run: 'r1',
      level: 30,
    });
  });
});
