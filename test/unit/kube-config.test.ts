import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../src/kube/clients.js';

let dir: string;
const kubeconfig = (name: string, current?: string) => `apiVersion: v1
kind: Config
clusters: [{ name: ${name}, cluster: { server: 'https://${name}.example:6443' } }]
users: [{ name: ${name}, user: { token: t-${name} } }]
contexts: [{ name: ${name}, context: { cluster: ${name}, user: ${name} } }]
${current ? `current-context: ${current}` : ''}
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubeconfig-'));
  await writeFile(join(dir, 'staging'), kubeconfig('staging', 'staging'));
  await writeFile(join(dir, 'prod'), kubeconfig('prod', 'prod'));
  await writeFile(join(dir, 'lab'), kubeconfig('lab'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('KUBECONFIG with several files', () => {
  it('merges them like kubectl: all contexts, the first current-context', () => {
    const config = loadKubeConfig({
      kubeconfig: [join(dir, 'lab'), join(dir, 'staging'), join(dir, 'prod')].join(':'),
    });
    expect(config.getContexts().map((c) => c.name)).toEqual(['lab', 'staging', 'prod']);
    expect(config.getCurrentContext()).toBe('staging');
    expect(config.getCluster('prod')?.server).toBe('https://prod.example:6443');
  });

  it('lets GAMEDAY_KUBE_CONTEXT pick a context from any of them', () => {
    const config = loadKubeConfig({
      kubeconfig: `${join(dir, 'staging')}:${join(dir, 'prod')}`,
      context: 'prod',
    });
    expect(config.getCurrentCluster()?.server).toBe('https://prod.example:6443');
  });
});
