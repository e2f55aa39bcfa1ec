import { Gauge, type Registry } from '@clickwise/telemetry';

/** How a served model version is used: the answer (champion), a share of answers (challenger), or scored beside them (shadow). */
export type ModelRole = 'champion' | 'challenger' | 'shadow';

export interface ModelInUse {
  model: string;
  version: string;
  role: ModelRole;
}

/**
 * `clickwise_model_in_use{model,version,role}` = 1 for each model version the service serves now,
 * read from `read` when /metrics is scraped (so a hot swap shows at the next scrape and the version
 * swapped out disappears).
 */
export function registerModelsInUse(registry: Registry, read: () => readonly ModelInUse[]): void {
  new Gauge({
    name: 'clickwise_model_in_use',
    help: 'Model versions served now (1), by model, version and role (champion, challenger, shadow)',
    labelNames: ['model', 'version', 'role'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of read()) this.set({ model: m.model, version: m.version, role: m.role }, 1);
    },
  });
}
