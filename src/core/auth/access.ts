import { AuthError } from './auth-error.ts';

/** One entry of a token's `access` claim, and one requested `scope`: what may be done to what. */
export interface Access {
  readonly type: 'repository' | 'registry';
  readonly name: string;
  readonly actions: readonly string[];
}

export const REPOSITORY_ACTIONS = ['pull', 'push', 'delete'] as const;
export type RepositoryAction = (typeof REPOSITORY_ACTIONS)[number];

/**
 * Parses Docker's scope grammar `type[(class)]:name:actions`. The name may itself hold `host:port`,
 * so the type ends at the first `:` and the actions start after the last one.
 */
export function parseScope(scope: string): Access {
  const first = scope.indexOf(':');
  const last = scope.lastIndexOf(':');
  if (first === -1 || last === first) throw new AuthError('SCOPE_INVALID', `invalid scope ${JSON.stringify(scope)}`);
  const type = scope.slice(0, first).replace(/\(.*\)$/, '');
  const name = scope.slice(first + 1, last);
  const actions = scope.slice(last + 1).split(',').filter((a) => a !== '');
  if ((type !== 'repository' && type !== 'registry') || name === '') {
    throw new AuthError('SCOPE_INVALID', `invalid scope ${JSON.stringify(scope)}`);
  }
  return { type, name, actions: [...new Set(actions)] };
}

/** Parses the space-separated scopes of one or more `scope` parameters. Unknown types are ignored. */
export function parseScopes(values: readonly string[]): Access[] {
  const result: Access[] = [];
  for (const value of values) {
    for (const part of value.split(' ')) {
      if (part === '') continue;
      try {
        result.push(parseScope(part));
      } catch {
        // Unknown or malformed scopes grant nothing; the token simply does not carry them.
      }
    }
  }
  return result;
}

export function formatScope(access: Access): string {
  return `${access.type}:${access.name}:${access.actions.join(',')}`;
}

/** True when `granted` includes every action of `required` for the same resource (or `*`). */
export function allows(granted: readonly Access[], required: Access): boolean {
  const actions = new Set<string>();
  for (const entry of granted) {
    if (entry.type === required.type && entry.name === required.name) for (const a of entry.actions) actions.add(a);
  }
  return actions.has('*') || required.actions.every((action) => actions.has(action));
}

/** The actions of `required` that `granted` lacks. */
export function missingActions(granted: readonly Access[], required: Access): string[] {
  return required.actions.filter((action) => !allows(granted, { ...required, actions: [action] }));
}
