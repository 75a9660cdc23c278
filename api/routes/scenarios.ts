import express, { Router } from 'express';
import { parse as parseYaml } from 'yaml';
import { validateManifest, formatPath } from '../../src/scenario/validate.js';
import { requireRole } from '../auth.js';
import type { ApiContext } from '../context.js';
import { badRequest, notFoundError } from '../http-error.js';

const SCENARIO_BODY_LIMIT = '256kb';

/** The catalogue, and validation of a scenario before it is committed or run. */
export function scenariosRouter(ctx: ApiContext): Router {
  const router = Router();
  const viewer = requireRole(ctx.authenticate, 'viewer');

  router.get('/api/v1/scenarios', viewer, async (_req, res) => {
    const catalogue = await ctx.catalogue();
    res.json({
      items: [...catalogue.scenarios.values()].map((s) => ({
        name: s.metadata.name,
        description: s.metadata.description,
        fault: s.spec.fault.type,
        target: s.spec.target,
        mode: s.spec.recovery.mode,
        labels: s.metadata.labels ?? {},
      })),
      gameDays: [...catalogue.gameDays.values()].map((g) => ({
        name: g.metadata.name,
        description: g.metadata.description,
        scenarios: g.spec.scenarios.map((e) => (typeof e === 'string' ? e : e.metadata.name)),
      })),
      errors: catalogue.errors,
    });
  });

  router.get('/api/v1/scenarios/:name', viewer, async (req, res) => {
    const catalogue = await ctx.catalogue();
    const name = String(req.params['name']);
    const found = catalogue.scenarios.get(name) ?? catalogue.gameDays.get(name);
    if (!found) throw notFoundError(`no scenario or GameDay named ${name}`);
    res.json(found);
  });

  // Accepts JSON, or YAML as text (application/yaml), as scenario files are written.
  router.post(
    '/api/v1/scenarios/validate',
    viewer,
    express.text({
      type: ['application/yaml', 'application/x-yaml', 'text/yaml'],
      limit: SCENARIO_BODY_LIMIT,
    }),
    async (req, res) => {
      let document: unknown = req.body;
      if (typeof req.body === 'string') {
        try {
          document = parseYaml(req.body, { maxAliasCount: 100 });
        } catch (err) {
          throw badRequest(`the YAML does not parse: ${(err as Error).message}`);
        }
      }
      const result = validateManifest(document);
      if (result.ok) {
        res.json({
          valid: true,
          kind: result.value.kind,
          name: result.value.metadata.name,
          document: result.value,
        });
        return;
      }
      const errors = result.issues.map((issue) => ({
        field: formatPath(issue.path) || '(document)',
        message: issue.message,
      }));
      res
        .status(422)
        .type('application/problem+json')
        .send(
          JSON.stringify({
            type: 'about:blank',
            title: 'Unprocessable Content',
            status: 422,
            detail: `${errors[0]!.field}: ${errors[0]!.message}`,
            valid: false,
            errors,
          }),
        );
    },
  );

  return router;
}
