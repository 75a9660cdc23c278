/**
 * Scenario and GameDay documents (SPEC §3), validated with zod: every field, every default, and
 * unknown fields refused at every depth.
 *
 * Output representation, chosen so that a validated document validates again unchanged (the API
 * stores what it validated; a worker may check it again):
 * - durations stay the strings the author wrote (`5m`); read them with `durationMs` or all at
 *   once with {@link scenarioDurations};
 * - comparisons (`abortIf`, `recoveredIf`) become `{ op, value }`, schedules
 *   `{ cron, timezone }`, matchers `{ name, type, value }`; those forms are valid input too;
 * - quantities are strings.
 */
import { z } from 'zod';
import {
  certExpiryParams,
  denyPolicyParams,
  FAULT_TYPES,
  istiodOomParams,
  portBlockParams,
} from './fault-params.js';
import { labelMatcher } from './matchers.js';
import {
  API_VERSION,
  comparison,
  dnsLabel,
  duration,
  durationMs,
  expected,
  httpUrl,
  kubernetesLabels,
  nonEmptyString,
  positiveDuration,
  prometheusLabels,
  schedule,
} from './primitives.js';

export { API_VERSION, FAULT_TYPES };

const apiVersion = z.literal(API_VERSION);

/** Names unique within a list: a repeat is reported at `<index>.<field>`. */
function uniqueBy<T>(items: readonly T[], key: (item: T) => string, field: string, what: string) {
  return (ctx: z.RefinementCtx, path: (string | number)[] = []) => {
    const seen = new Map<string, number>();
    items.forEach((item, index) => {
      const value = key(item);
      const first = seen.get(value);
      if (first === undefined) seen.set(value, index);
      else {
        ctx.addIssue({
          code: 'custom',
          message: `${what} '${value}' is already used by item ${first}`,
          path: [...path, index, field],
        });
      }
    });
  };
}

export const metadataSchema = z.strictObject({
  name: dnsLabel().meta({
    description: 'Unique name (DNS-1123 label); reports and trends use it.',
  }),
  description: z.string({ error: expected('a string') }).optional(),
  runbook: nonEmptyString().optional().meta({
    description:
      'The runbook responders follow: a URL, or the runbook itself as (multi-line) text.',
  }),
  labels: kubernetesLabels().optional(),
});

export const targetSchema = z.strictObject({
  context: z
    .string({ error: expected('a kubeconfig context name') })
    .default('')
    .meta({ description: 'kubeconfig context; empty = the current context.' }),
  namespace: dnsLabel().meta({
    description: 'Namespace the fault acts in; must be in the allowlist.',
  }),
});

export const faultSchema = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('istiod-oom'),
    params: istiodOomParams.prefault({}),
  }),
  z.strictObject({
    type: z.literal('port-block'),
    params: portBlockParams,
  }),
  z.strictObject({
    type: z.literal('cert-expiry'),
    params: certExpiryParams.prefault({}),
  }),
  z.strictObject({
    type: z.literal('deny-policy'),
    params: denyPolicyParams.prefault({}),
  }),
]);

export const expectedAlertSchema = z
  .strictObject({
    alertname: nonEmptyString('an alert name'),
    labels: prometheusLabels()
      .optional()
      .meta({ description: 'Labels the alert must carry with exactly these values.' }),
    matchers: z.array(labelMatcher()).optional().meta({
      description:
        'Further label matchers in Alertmanager syntax, e.g. pod=~"istiod-.*" (=, !=, =~, !~; regexes anchored).',
    }),
  })
  .superRefine((alert, ctx) => {
    if (alert.labels?.['alertname'] !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'the alert name goes in alertname, not in labels',
        path: ['labels', 'alertname'],
        params: { at: 'key' },
      });
    }
    alert.matchers?.forEach((matcher, index) => {
      if (matcher.name === 'alertname') {
        ctx.addIssue({
          code: 'custom',
          message: 'the alert name goes in alertname, not in matchers',
          path: ['matchers', index],
        });
      }
    });
  });

export const detectionSchema = z.strictObject({
  alerts: z
    .array(expectedAlertSchema)
    .min(1)
    .meta({ description: 'Any of these alerts firing after injection counts as detection.' }),
  timeout: positiveDuration('No expected alert by then: undetected.').default('10m'),
});

export const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

export const httpProbeSchema = z
  .strictObject({
    url: httpUrl(),
    method: z.enum(HTTP_METHODS).default('GET'),
    expectStatus: z
      .array(z.int().min(100).max(599))
      .min(1)
      .default([200])
      .meta({ description: 'Status codes that count as success.' }),
    requestsPerInterval: z.int().min(1).max(1000).default(5),
    connectTo: z
      .string({ error: expected('host:port') })
      .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, { error: expected('host:port') })
      .optional()
      .meta({
        description:
          "Connect to this host:port instead of the URL's host (like curl --connect-to): the URL's host stays the Host header and TLS server name. For probing one gateway's address before DNS points at it.",
      }),
    tls: z
      .strictObject({
        caFile: nonEmptyString('a file path')
          .optional()
          .meta({ description: 'PEM file of the CA that signs the server certificate.' }),
        insecure: z
          .boolean({ error: expected('true or false') })
          .default(false)
          .meta({ description: 'Skip certificate verification.' }),
      })
      .optional(),
  })
  .superRefine((http, ctx) => {
    if (http.tls === undefined) return;
    if (!http.url.startsWith('https:')) {
      ctx.addIssue({
        code: 'custom',
        message: 'only applies to https:// URLs',
        path: ['tls'],
        params: { at: 'key' },
      });
    } else if (http.tls.insecure && http.tls.caFile !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'set caFile or insecure: true, not both',
        path: ['tls', 'insecure'],
      });
    }
  });

export type HttpProbe = z.output<typeof httpProbeSchema>;

interface TrafficCommon {
  /** How often success is sampled. */
  interval: string;
  /** Success ratio in (0, 1] at or above which a sample counts as good. */
  successThreshold: number;
  /** How long samples must stay good for traffic to count as recovered. */
  sustainFor: string;
}
/** Exactly one way of measuring success. */
export type Traffic = TrafficCommon &
  ({ promql: string; http?: undefined } | { http: HttpProbe; promql?: undefined });

export const trafficSchema = z
  .strictObject({
    promql: nonEmptyString('a PromQL expression').optional().meta({
      description: 'PromQL giving the success ratio (0..1); count 4xx as failures for deny-policy.',
    }),
    http: httpProbeSchema
      .optional()
      .meta({ description: 'Probe from the client side (needed when TLS handshakes fail).' }),
    interval: positiveDuration('How often success is sampled.').default('5s'),
    successThreshold: z
      .number({ error: expected('a number in (0, 1]') })
      .gt(0)
      .lte(1)
      .default(0.99),
    sustainFor: duration('How long success must hold to count as recovered.').default('30s'),
  })
  .superRefine((traffic, ctx) => {
    if (traffic.promql !== undefined && traffic.http !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'set exactly one of promql or http, not both',
        path: ['http'],
        params: { at: 'key' },
      });
    } else if (traffic.promql === undefined && traffic.http === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'set one of promql (a success-ratio query) or http (a probe)',
      });
    }
  })
  .transform((traffic) => traffic as Traffic);

export const recoverySignalSchema = z.strictObject({
  name: nonEmptyString('a signal name'),
  promql: nonEmptyString('a PromQL expression'),
  recoveredIf: comparison(
    'Recovered while the query value satisfies this; absent = while the query returns any sample.',
  ).optional(),
});

export const recoverySchema = z
  .strictObject({
    mode: z.enum(['auto', 'responders']).default('auto').meta({
      description:
        'auto: hold the fault for holdFor, then revert; responders: keep it until they fix it (up to timeout).',
    }),
    holdFor: duration('mode auto: how long the fault stays in effect.').default('2m'),
    timeout: positiveDuration('Longest wait for recovery; then the tool reverts.').default('15m'),
    signals: z.array(recoverySignalSchema).default([]).meta({
      description:
        'Further PromQL conditions that must hold again (control plane health beyond traffic).',
    }),
  })
  .superRefine((recovery, ctx) => {
    uniqueBy(recovery.signals, (signal) => signal.name, 'name', 'signal name')(ctx, ['signals']);
  });

export const objectivesSchema = z.strictObject({
  timeToDetect: positiveDuration('Pass if detected within this time.').optional(),
  timeToRecover: positiveDuration('Pass if recovered within this time.').optional(),
});

export const guardSchema = z.strictObject({
  name: nonEmptyString('a guard name').optional(),
  promql: nonEmptyString('a PromQL expression'),
  abortIf: comparison("Abort when the query value satisfies this, e.g. '> 0'."),
  for: duration('How long the condition must hold before aborting.').default('0s'),
});

export const scenarioSpecSchema = z.strictObject({
  target: targetSchema,
  fault: faultSchema,
  detection: detectionSchema,
  traffic: trafficSchema,
  recovery: recoverySchema.prefault({}),
  objectives: objectivesSchema.prefault({}),
  guards: z
    .array(guardSchema)
    .default([])
    .meta({ description: 'Stop conditions: revert at once when one holds.' }),
  schedule: schedule().optional(),
});

export const scenarioSchema = z
  .strictObject({
    apiVersion,
    kind: z.literal('Scenario'),
    metadata: metadataSchema,
    spec: scenarioSpecSchema,
  })
  .meta({
    title: 'gameday Scenario',
    description: 'One failure mode to inject, and how to detect and measure recovery from it.',
  });

export const PARTICIPANT_ROLES = ['commander', 'responder', 'observer'] as const;

export const participantSchema = z.strictObject({
  name: nonEmptyString('a name'),
  role: z.enum(PARTICIPANT_ROLES),
});

export const gameDaySpecSchema = z
  .strictObject({
    scenarios: z
      .array(
        z.union([dnsLabel(), scenarioSchema], {
          error: expected('a scenario name or an inline Scenario'),
        }),
      )
      .min(1)
      .meta({ description: 'Run in order: catalogue scenario names or inline Scenarios.' }),
    pauseBetween: duration('Pause between two scenarios.').default('1m'),
    participants: z.array(participantSchema).default([]),
    schedule: schedule().optional(),
  })
  .superRefine((spec, ctx) => {
    const inline = spec.scenarios.flatMap((entry, index) =>
      typeof entry === 'string' ? [] : [{ entry, index }],
    );
    const seen = new Map<string, number>();
    for (const { entry, index } of inline) {
      const first = seen.get(entry.metadata.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `inline scenario '${entry.metadata.name}' is already defined at scenarios[${first}]`,
          path: ['scenarios', index, 'metadata', 'name'],
        });
      } else seen.set(entry.metadata.name, index);
      if (entry.spec.schedule !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: 'an inline scenario runs when its GameDay runs; schedule the GameDay instead',
          path: ['scenarios', index, 'spec', 'schedule'],
          params: { at: 'key' },
        });
      }
    }
    uniqueBy(
      spec.participants,
      (participant) => participant.name,
      'name',
      'participant',
    )(ctx, ['participants']);
  });

export const gameDaySchema = z
  .strictObject({
    apiVersion,
    kind: z.literal('GameDay'),
    metadata: metadataSchema,
    spec: gameDaySpecSchema,
  })
  .meta({
    title: 'gameday GameDay',
    description: 'Scenarios run in order, with participants, as one parent run and one report.',
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;
export type GameDay = z.output<typeof gameDaySchema>;
export type GameDayInput = z.input<typeof gameDaySchema>;
/** Any document of the catalogue. */
export type Manifest = Scenario | GameDay;
export type Kind = Manifest['kind'];
export const KINDS: readonly Kind[] = ['Scenario', 'GameDay'];

export type Metadata = Scenario['metadata'];
export type ScenarioSpec = Scenario['spec'];
export type Fault = ScenarioSpec['fault'];
export type ExpectedAlert = ScenarioSpec['detection']['alerts'][number];
export type Recovery = ScenarioSpec['recovery'];
export type RecoverySignal = Recovery['signals'][number];
export type Guard = ScenarioSpec['guards'][number];
export type Participant = GameDay['spec']['participants'][number];
/** A GameDay entry: a catalogue scenario's name, or an inline scenario. */
export type GameDayEntry = GameDay['spec']['scenarios'][number];

/** Every duration of a scenario in milliseconds, for the run engine. */
export interface ScenarioDurations {
  detectionTimeout: number;
  trafficInterval: number;
  sustainFor: number;
  holdFor: number;
  recoveryTimeout: number;
  objectives: { timeToDetect?: number; timeToRecover?: number };
  /** `for` of each guard, in order. */
  guards: number[];
}

export function scenarioDurations(scenario: Scenario): ScenarioDurations {
  const { detection, traffic, recovery, objectives, guards } = scenario.spec;
  return {
    detectionTimeout: durationMs(detection.timeout),
    trafficInterval: durationMs(traffic.interval),
    sustainFor: durationMs(traffic.sustainFor),
    holdFor: durationMs(recovery.holdFor),
    recoveryTimeout: durationMs(recovery.timeout),
    objectives: {
      ...(objectives.timeToDetect !== undefined && {
        timeToDetect: durationMs(objectives.timeToDetect),
      }),
      ...(objectives.timeToRecover !== undefined && {
        timeToRecover: durationMs(objectives.timeToRecover),
      }),
    },
    guards: guards.map((guard) => durationMs(guard.for)),
  };
}
