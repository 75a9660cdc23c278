/** Reading and writing JSON values by RFC 6901 pointer, creating missing parent objects on write. */

export function tokens(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new Error(`not a JSON pointer: ${pointer}`);
  return pointer
    .slice(1)
    .split('/')
    .map((t) => t.replace(/~1/g, '/').replace(/~0/g, '~'));
}

export function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

type Container = Record<string, unknown> | unknown[];

function child(node: unknown, token: string): unknown {
  if (Array.isArray(node)) return node[Number(token)];
  if (node !== null && typeof node === 'object') return (node as Record<string, unknown>)[token];
  return undefined;
}

/** The value at `pointer`, and whether anything is there at all. */
export function getAt(document: unknown, pointer: string): { present: boolean; value?: unknown } {
  let node = document;
  for (const token of tokens(pointer)) {
    if (node === null || typeof node !== 'object' || !(token in (node as object)))
      return { present: false };
    node = child(node, token);
  }
  return { present: true, value: structuredClone(node) };
}

/**
 * Sets (or, with `present: false`, removes) the value at `pointer` in place. Missing parent
 * objects are created; their pointers are returned so a later restore can remove them again.
 */
export function setAt(
  document: unknown,
  pointer: string,
  change: { present: boolean; value?: unknown },
): string[] {
  const path = tokens(pointer);
  const created: string[] = [];
  let node = document as Container;
  for (let i = 0; i < path.length - 1; i++) {
    const token = path[i] ?? '';
    let next = child(node, token);
    if (next === undefined || next === null) {
      if (!change.present) return created;
      next = {};
      (node as Record<string, unknown>)[token] = next;
      created.push(
        `/${path
          .slice(0, i + 1)
          .map(escapeToken)
          .join('/')}`,
      );
    }
    node = next as Container;
  }
  const last = path.at(-1) ?? '';
  if (Array.isArray(node)) {
    const index = Number(last);
    if (change.present) node[index] = structuredClone(change.value);
    else node.splice(index, 1);
  } else if (change.present) {
    node[last] = structuredClone(change.value);
  } else {
    delete node[last];
  }
  return created;
}
