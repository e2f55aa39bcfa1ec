import { buildOverlay, drift, generate, OVERLAYS, writeFiles } from '@clickwise/deploy';
import { stringify } from 'yaml';
import { info, parseCommandArgs, printJson, type Command } from '../command.js';
import { settings } from '../settings.js';

export const deployCommand: Command = {
  name: 'deploy',
  summary: 'generate, check or build the Kubernetes manifests and the compose file (deploy/)',
  help: `Usage: clickwise deploy generate | check | build OVERLAY [--json]

  generate   writes deploy/k8s/base (kustomization, platform ConfigMap, one file per service),
             deploy/k8s/components/strimzi-kafka/topics.yaml and deploy/compose/compose.yaml from
             services/*/service.json (ports, paths, the "deploy" hints), each service's config
             schema (src/config.ts, compiled: every variable and its default) and the topic
             catalogue (libs/contracts/src/topics.ts). Run it after adding or changing a service.
  check      exits 1 and lists the generated files that differ from what generate would write.
  build      prints \`kustomize build deploy/k8s/overlays/OVERLAY\` (${OVERLAYS.join(', ')}); the pinned
             kustomize is built once by deploy/local/deploy-tools.sh.

See deploy/README.md and ADR 0080.`,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {});
    const [action, overlay] = positionals;
    if (action === 'build') {
      if (!overlay || !(OVERLAYS as readonly string[]).includes(overlay)) {
        info(`deploy build: name an overlay: ${OVERLAYS.join(', ')}`);
        return 2;
      }
      const objects = await buildOverlay(settings.root, `deploy/k8s/overlays/${overlay}`);
      process.stdout.write(objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'));
      return 0;
    }
    if (action !== 'generate' && action !== 'check') {
      info('deploy: generate, check or build OVERLAY (--help)');
      return 2;
    }
    const { model, files } = await generate(settings.root);
    if (action === 'generate') {
      const changed = writeFiles(settings.root, files);
      const stale = drift(settings.root, files);
      for (const path of changed) info(`wrote ${path}`);
      for (const line of stale) info(`remove by hand: ${line}`);
      info(`${files.size} files for ${model.services.length} services (${model.services.map((s) => `${s.manifest.name}: ${s.hints.kind}`).join(', ')}) and ${model.topics.length} topics; ${changed.length} changed`);
      if (values.json) printJson({ files: files.size, changed, stale, services: model.services.map((s) => s.manifest.name) });
      return stale.length > 0 ? 1 : 0;
    }
    const problems = drift(settings.root, files);
    for (const line of problems) info(line);
    info(problems.length === 0 ? `deploy: the ${files.size} generated files are up to date` : `deploy: ${problems.length} generated files differ; run ./clickwise deploy generate`);
    if (values.json) printJson({ files: files.size, drift: problems });
    return problems.length === 0 ? 0 : 1;
  },
};
