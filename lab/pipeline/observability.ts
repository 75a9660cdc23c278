import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../../src/package-root.js';
import { startAlertmanager, type AlertmanagerHandle } from '../services/alertmanager.js';
import { startPrometheus, type PrometheusHandle } from '../services/prometheus.js';
import { labRules, type LabRulesOptions } from './rules.js';

/** The shipped rule files, the ones docker-compose's Prometheus loads as well. */
export const RULES_DIR = `${join(packageRoot(import.meta.url) ?? process.cwd(), 'deploy', 'rules')}/`;

export interface ObservabilityOptions {
  /** The lab's telemetry SD URL (`lab.telemetry.sdUrl`); without it nothing is scraped. */
  sdUrl?: string;
  /** Where Alertmanager sends every alert (the API's `/api/v1/alertmanager/webhook`). */
  webhookUrl: string;
  /** Sent as `Authorization: Bearer <secret>` with every notification. */
  webhookSecret?: string;
  /** How the shipped rules are shortened for the lab (see labRules). */
  rules?: LabRulesOptions;
}

export interface Observability {
  prometheus: PrometheusHandle;
  alertmanager: AlertmanagerHandle;
  /** Stops and removes both services. */
  stop(): Promise<void>;
}

/**
 * Real Prometheus and Alertmanager for the lab (and the demo), started with the same code as the
 * integration tests: Prometheus scrapes the lab's telemetry and evaluates the lab variant of
 * every rule file in deploy/rules; Alertmanager routes each alert to the webhook.
 */
export async function startObservability(options: ObservabilityOptions): Promise<Observability> {
  const ruleFiles = await loadLabRuleFiles(options.rules);
  const alertmanager = await startAlertmanager({
    webhookUrl: options.webhookUrl,
    webhookSecret: options.webhookSecret,
  });
  let prometheus: PrometheusHandle;
  try {
    prometheus = await startPrometheus({
      ...(options.sdUrl !== undefined && { serviceDiscovery: { url: options.sdUrl } }),
      ruleFiles,
      alertmanagerUrls: [alertmanager.url],
    });
  } catch (error) {
    await alertmanager.dispose();
    throw error;
  }
  return {
    prometheus,
    alertmanager,
    stop: async () => {
      await Promise.allSettled([prometheus.dispose(), alertmanager.dispose()]);
    },
  };
}

/** File name -> lab variant of every `*.yml` rule file in {@link RULES_DIR}. */
export async function loadLabRuleFiles(options?: LabRulesOptions): Promise<Record<string, string>> {
  const names = (await readdir(RULES_DIR)).filter((name) => name.endsWith('.yml')).sort();
  const files: Record<string, string> = {};
  for (const name of names) {
    files[name] = labRules(await readFile(`${RULES_DIR}${name}`, 'utf8'), options);
  }
  return files;
}
