import { createDocument, type ZodOpenApiOperationObject } from 'zod-openapi';
import { buildInfo } from '../src/build-info.js';
import { OPERATIONS, type Operation } from '../src/contract/operations.js';
import { problemSchema } from '../src/contract/schemas.js';

export { OPERATIONS };

const problemContent = { 'application/problem+json': { schema: problemSchema } };

/** One operation of the contract as an OpenAPI operation (zod-openapi renders the schemas). */
function operationObject(id: string, op: Operation): ZodOpenApiOperationObject {
  const responses: ZodOpenApiOperationObject['responses'] = {};
  for (const [status, response] of Object.entries(op.responses)) {
    const code = status as `${1 | 2 | 3 | 4 | 5}${string}`;
    if (response.schema) {
      const type = Number(status) >= 400 ? 'application/problem+json' : 'application/json';
      responses[code] = {
        description: response.description,
        content: { [type]: { schema: response.schema } },
      };
    } else if (response.contentTypes) {
      responses[code] = {
        description: response.description,
        content: Object.fromEntries(response.contentTypes.map((type) => [type, {}])),
      };
    } else {
      responses[code] = { description: response.description };
    }
  }
  const byToken = op.auth !== 'none' && op.auth !== 'webhook';
  if (byToken && op.method !== 'get') {
    responses['429'] ??= {
      description: 'too many writes for this token; see Retry-After',
      content: problemContent,
    };
  }
  if (byToken) {
    responses['401'] ??= { description: 'no or unknown token', content: problemContent };
    responses['403'] ??= { description: `needs the ${op.auth} role`, content: problemContent };
  }
  return {
    operationId: id,
    summary: op.summary,
    ...(op.auth === 'none'
      ? { security: [] }
      : op.auth === 'webhook'
        ? { security: [{ webhookSecret: [] }] }
        : { 'x-required-role': op.auth }),
    ...((op.params || op.query) && {
      requestParams: {
        ...(op.params && { path: op.params }),
        ...(op.query && { query: op.query }),
      },
    }),
    ...(op.body && {
      requestBody: {
        required: true,
        content: Object.fromEntries(
          (op.bodyTypes ?? ['application/json']).map((type) => [type, { schema: op.body! }]),
        ),
      },
    }),
    responses,
  };
}

/** The OpenAPI 3.1 document of the contract (src/contract/operations.ts). */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, ZodOpenApiOperationObject>> = {};
  for (const op of OPERATIONS) {
    const path = op.path.replace(/:(\w+)/g, '{$1}');
    paths[path] ??= {};
    paths[path][op.method] = operationObject(op.id, op);
  }
  return createDocument(
    {
      openapi: '3.1.0',
      info: {
        title: 'gameday API',
        version: buildInfo().version,
        description:
          'GameDays for Istio meshes: start and follow runs, read reports and trends (SPEC §8).',
      },
      servers: [{ url: '/' }],
      security: [{ bearerToken: [] }],
      components: {
        securitySchemes: {
          bearerToken: {
            type: 'http',
            scheme: 'bearer',
            description: 'An API token; its role (viewer, operator, admin) decides what it may do.',
          },
          webhookSecret: {
            type: 'http',
            scheme: 'bearer',
            description: 'GAMEDAY_WEBHOOK_SECRET, sent by Alertmanager.',
          },
        },
      },
      paths,
    },
    // The transforms of query parameters (RFC 3339 or epoch ms → ms) render as their input.
    { allowEmptySchema: { pipe: { output: true }, transform: { output: true } } },
  ) as unknown as Record<string, unknown>;
}
