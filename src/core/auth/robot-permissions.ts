import { AuthError } from './auth-error.ts';
import { rolePermissions } from './roles.ts';

/** Harbor's robot permission: one namespace (a project name, `*` for every project, `/` for the system) and its accesses. */
export interface RobotPermission {
  readonly kind: 'project' | 'system';
  readonly namespace: string;
  readonly access: readonly RobotAccess[];
}

export interface RobotAccess {
  readonly resource: string;
  readonly action: string;
  readonly effect: 'allow' | 'deny';
}

/** What a project robot may be given: the project admin's rights, minus a few, plus `metadata:list`. */
const NOT_GRANTABLE = new Set(['repository:create', 'tag-retention:operate', 'robot:update', 'configuration:read', 'configuration:update', 'export-cve:list']);
const PROJECT_GRANTABLE: ReadonlySet<string> = new Set([
  ...rolePermissions(1)
    .map((p) => `${p.resource}:${p.action}`)
    .filter((p) => !NOT_GRANTABLE.has(p)),
  'metadata:list',
]);

/** System-level grants, Harbor's list. */
const SYSTEM_GRANTABLE: ReadonlySet<string> = new Set(
  Object.entries({
    'audit-log': ['list'],
    project: ['create', 'list'],
    registry: ['create', 'read', 'update', 'delete', 'list'],
    'replication-policy': ['create', 'read', 'update', 'delete', 'list'],
    scanner: ['create', 'read', 'update', 'delete', 'list'],
    replication: ['create', 'read', 'list'],
    'scan-all': ['create', 'read', 'update', 'stop'],
    'garbage-collection': ['create', 'read', 'update', 'list', 'stop'],
    'purge-audit': ['create', 'read', 'update', 'list', 'stop'],
    label: ['create', 'read', 'update', 'delete'],
    catalog: ['read'],
    quota: ['read', 'update', 'list'],
    robot: ['create', 'read', 'delete', 'list'],
    user: ['create', 'read', 'update', 'delete', 'list'],
  }).flatMap(([resource, actions]) => actions.map((a) => `${resource}:${a}`)),
);

/** Validates Harbor's `permissions` array for a robot of `level`; throws PERMISSION_INVALID naming the offending entry. */
export function validateRobotPermissions(level: 'project' | 'system', value: unknown): RobotPermission[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid('permissions must be a non-empty array');
  if (level === 'project' && value.length !== 1) throw invalid('a project robot has exactly one permission (one project)');
  return value.map((entry: unknown) => validatePermission(level, entry));
}

function validatePermission(level: 'project' | 'system', entry: unknown): RobotPermission {
  if (typeof entry !== 'object' || entry === null) throw invalid('each permission must be an object');
  const { kind, namespace, access } = entry as Record<string, unknown>;
  if (kind !== 'project' && kind !== 'system') throw invalid(`permission kind must be "project" or "system", not ${JSON.stringify(kind)}`);
  if (kind === 'system' && (level !== 'system' || namespace !== '/')) throw invalid('a system permission needs level "system" and namespace "/"');
  if (typeof namespace !== 'string' || namespace === '') throw invalid('permission namespace must be a project name, "*" or "/"');
  if (!Array.isArray(access) || access.length === 0) throw invalid(`permission for ${namespace}: access must be a non-empty array`);
  const grantable = kind === 'system' ? SYSTEM_GRANTABLE : PROJECT_GRANTABLE;
  const list = access.map((a: unknown): RobotAccess => {
    const { resource, action, effect } = (typeof a === 'object' && a !== null ? a : {}) as Record<string, unknown>;
    if (typeof resource !== 'string' || typeof action !== 'string' || !grantable.has(`${resource}:${action}`)) {
      throw invalid(`bad request permission: ${String(resource)}:${String(action)}`);
    }
    if (effect !== undefined && effect !== 'allow' && effect !== 'deny') throw invalid(`effect must be "allow" or "deny", not ${JSON.stringify(effect)}`);
    return { resource, action, effect: effect ?? 'allow' };
  });
  return { kind, namespace, access: list };
}

/** Harbor's evaluator: some matching allow and no matching deny. `project` `/` asks about the system. */
export function robotAllows(permissions: readonly RobotPermission[], project: string, resource: string, action: string): boolean {
  let allowed = false;
  for (const permission of permissions) {
    const applies = project === '/' ? permission.kind === 'system' : permission.kind === 'project' && (permission.namespace === project || permission.namespace === '*');
    if (!applies) continue;
    for (const access of permission.access) {
      if (access.resource !== resource || access.action !== action) continue;
      if (access.effect === 'deny') return false;
      allowed = true;
    }
  }
  return allowed;
}

/**
 * The first access of `requested` a robot holding `own` may not hand out, or undefined when it may
 * grant them all: a robot grants only what its own permissions allow, namespace by namespace, and
 * `*` (every project) only for an access none of its projects denies it. Denies are always grantable.
 */
export function ungrantable(own: readonly RobotPermission[], requested: readonly RobotPermission[]): { readonly permission: RobotPermission; readonly access: RobotAccess } | undefined {
  const deniedSomewhere = (resource: string, action: string) =>
    own.some((p) => p.kind === 'project' && p.access.some((a) => a.effect === 'deny' && a.resource === resource && a.action === action));
  for (const permission of requested) {
    const namespace = permission.kind === 'system' ? '/' : permission.namespace;
    for (const access of permission.access) {
      if (access.effect === 'deny') continue;
      if (robotAllows(own, namespace, access.resource, access.action) && !(namespace === '*' && deniedSomewhere(access.resource, access.action))) continue;
      return { permission, access };
    }
  }
  return undefined;
}

function invalid(message: string): AuthError {
  return new AuthError('PERMISSION_INVALID', message);
}



