import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { runScript } from '@clickwise/local-infra';
import { parseAllDocuments } from 'yaml';
import type { K8sObject } from './k8s.js';

const run = promisify(execFile);

/** The overlays under deploy/k8s/overlays, each built and validated by the tests. */
export const OVERLAYS = ['laptop', 'production', 'production-keda', 'external'] as const;

let command: Promise<string[]> | undefined;

/** The kustomize command (deploy/local/deploy-tools.sh builds the pinned kustomize once with `go install`). */
export function kustomizeCommand(): Promise<string[]> {
  command ??= runScript('deploy-tools.sh', [], {}).then((result) => {
    if (result.code !== 0) throw new Error(`deploy/local/deploy-tools.sh failed (exit ${result.code}):\n${result.stderr}`);
    const words = result.stdout.trim().split(' ');
    if (words.length === 0 || words[0] === '') throw new Error(`deploy/local/deploy-tools.sh printed no command:\n${result.stderr}`);
    return words;
  });
  return command;
}

/** `kustomize build` of a folder (e.g. deploy/k8s/overlays/laptop) as objects. */
export async function buildOverlay(root: string, folder: string): Promise<K8sObject[]> {
  const [bin, ...pre] = await kustomizeCommand();
  if (bin === undefined) throw new Error('no kustomize command');
  const args = bin.endsWith('kubectl') ? [...pre, join(root, folder)] : [...pre, 'build', join(root, folder)];
  const { stdout } = await run(bin, args, { maxBuffer: 64 * 1024 * 1024 });
  const docs = parseAllDocuments(stdout);
  const objects: K8sObject[] = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) throw new Error(`${folder}: kustomize gave invalid YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const value = doc.toJS() as K8sObject | null;
    if (value) objects.push(value);
  }
  return objects;
}
