/**
 * The Kubernetes ConfigMap and the Helm chart carry copies of config/*.yaml; these tests
 * keep the copies from drifting away from the files the services read by default.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const FILES = ['multi-agent.yaml', 'adaptive-learning.yaml', 'production-optimizer.yaml'];
const read = (p: string) => readFileSync(path.join(ROOT, p), 'utf8');

describe('deployment copies of config/*.yaml', () => {
  it('when the k8s ConfigMap is read, then each embedded file equals the repository file', () => {
    const docs = parseAllDocuments(read('k8s/10-configmap.yaml')).map((d) => d.toJS() as { metadata?: { name?: string }; data?: Record<string, string> });
    const files = docs.find((d) => d.metadata?.name === 'nexus-config-files');
    expect(files).toBeDefined();
    for (const f of FILES) expect(parse(files!.data![f]!)).toEqual(parse(read(`config/${f}`)));
  });

  it('when the Helm values are read, then their config section equals the repository files', () => {
    const values = parse(read('helm-chart/values.yaml')) as { config: Record<string, unknown> };
    for (const f of FILES) expect(values.config[f]).toEqual(parse(read(`config/${f}`)));
  });
});
