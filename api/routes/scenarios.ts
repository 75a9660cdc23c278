import express, { Router } from 'express';
import { parse as parseYaml } from 'yaml';
import { contract } from '../../src/contract/operations.js';
import { validateManifest, formatPath } from '../../src/scenario/validate.js';
import type { ApiContext } from '../context.js';
import { badRequest, HttpError, notFoundError } from '../http-error.js';
import { route } from '../route.js';

const SCENARIO_BODY_LIMIT = '256kb';

/** The catalogue, and validation of a scenario before it is committed or run. */
export function scenariosRouter(ctx: ApiContext): Router {
  const router = Router();
  const { authenticate } = ctx;

  route(router, authenticate, contract.listScenarios, async () => {
    const catalogue = await ctx.catalogue();
    return {
      status: 200,
      body: {
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
      },
    };
  });

  route(router, authenticate, contract.getScenario, async ({ params }) => {
    const catalogue = await ctx.catalogue();
    const found = catalogue.scenarios.get(params.name) ?? catalogue.gameDays.get(params.name);
    if (!found) throw notFoundError(`no scenario or GameDay named ${params.name}`);
    return { status: 200, body: found };
  });

  // Accepts JSON, or YAML as text (application/yaml), as scenario files are written. A document
  // that parses but is not a valid Scenario or GameDay is a 422 naming each bad field.
  route(
    router,
    authenticate,
    contract.validateScenario,
    async (_input, req) => {
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
        return {
          status: 200,
          body: {
            valid: true as const,
            kind: result.value.kind,
            name: result.value.metadata.name,
            document: result.value,
          },
        };
      }
      const errors = result.issues.map((issue) => ({
        field: formatPath(issue.path) || '(document)',
        message: issue.message,
      }));
      throw new HttpError(
        422,
        'Unprocessable Content',
        `${errors[0]!.field}: ${errors[0]!.message}`,
        {
          valid: false,
          errors,
        },
      );
    },
    {
      rawBody: true,
      before: [
        express.text({
          type: ['application/yaml', 'application/x-yaml', 'text/yaml'],
          limit: SCENARIO_BODY_LIMIT,
        }),
      ],
    },
  );

  return router;
}
