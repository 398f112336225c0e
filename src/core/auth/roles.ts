/**
 * Harbor's project roles and permission matrix (`src/common/rbac/project/rbac_role.go`), as
 * data. A role id is what Harbor's API sends (`role_id`); the matrix says which actions of which
 * project resource each role may take.
 */
export const ROLES = [
  { id: 1, name: 'projectAdmin' },
  { id: 2, name: 'developer' },
  { id: 3, name: 'guest' },
  { id: 4, name: 'maintainer' },
  { id: 5, name: 'limitedGuest' },
] as const;

export type RoleId = (typeof ROLES)[number]['id'];
export type RoleName = (typeof ROLES)[number]['name'];

export const PROJECT_RESOURCES = [
  'project',
  'member',
  'metadata',
  'log',
  'label',
  'quota',
  'repository',
  'artifact',
  'artifact-addition',
  'tag',
  'accessory',
  'artifact-label',
  'scan',
  'sbom',
  'scanner',
  'tag-retention',
  'immutable-tag',
  'robot',
  'notification-policy',
  'configuration',
  'export-cve',
] as const;
export type ProjectResource = (typeof PROJECT_RESOURCES)[number];

export const ACTIONS = ['create', 'read', 'update', 'delete', 'list', 'pull', 'push', 'operate', 'stop', 'scanner-pull'] as const;
export type Action = (typeof ACTIONS)[number];

type Matrix = Readonly<Partial<Record<ProjectResource, readonly Action[]>>>;

const CRUDL: readonly Action[] = ['create', 'read', 'update', 'delete', 'list'];
const RL: readonly Action[] = ['read', 'list'];
const READ: readonly Action[] = ['read'];

const PROJECT_ADMIN: Matrix = {
  project: ['read', 'update', 'delete'],
  member: CRUDL,
  metadata: ['create', 'read', 'update', 'delete'],
  log: ['list'],
  label: CRUDL,
  quota: READ,
  repository: [...CRUDL, 'pull', 'push'],
  artifact: ['create', 'read', 'delete', 'list'],
  'artifact-addition': READ,
  tag: ['create', 'delete', 'list'],
  accessory: ['list'],
  'artifact-label': ['create', 'delete'],
  scan: ['create', 'read', 'stop'],
  sbom: ['create', 'read', 'stop'],
  scanner: ['create', 'read'],
  'tag-retention': [...CRUDL, 'operate'],
  'immutable-tag': ['create', 'update', 'delete', 'list'],
  robot: CRUDL,
  'notification-policy': CRUDL,
  configuration: ['read', 'update'],
  'export-cve': ['create', 'read', 'list'],
};

const MAINTAINER: Matrix = {
  ...PROJECT_ADMIN,
  project: READ,
  member: RL,
  metadata: READ,
  log: [],
  scanner: READ,
  robot: RL,
  'notification-policy': RL,
  configuration: READ,
};

const DEVELOPER: Matrix = {
  ...MAINTAINER,
  metadata: [],
  label: RL,
  repository: ['create', 'read', 'update', 'list', 'pull', 'push'],
  artifact: ['create', 'read', 'list'],
  tag: ['create', 'list'],
  scan: READ,
  sbom: READ,
  'immutable-tag': [],
  'notification-policy': [],
};

const GUEST: Matrix = {
  ...DEVELOPER,
  repository: ['read', 'list', 'pull'],
  artifact: RL,
  tag: ['list'],
  'artifact-label': [],
  'tag-retention': [],
  'export-cve': [],
};

const LIMITED_GUEST: Matrix = { ...GUEST, member: [], label: [], robot: [] };

const MATRIX: Readonly<Record<RoleId, Matrix>> = { 1: PROJECT_ADMIN, 2: DEVELOPER, 3: GUEST, 4: MAINTAINER, 5: LIMITED_GUEST };

/** True when `role` may take `action` on `resource` of its project. */
export function roleAllows(role: RoleId, resource: ProjectResource, action: Action): boolean {
  return MATRIX[role][resource]?.includes(action) === true;
}

/** Every (resource, action) pair a role has, for listings and docs. */
export function rolePermissions(role: RoleId): readonly { resource: ProjectResource; action: Action }[] {
  return PROJECT_RESOURCES.flatMap((resource) => (MATRIX[role][resource] ?? []).map((action) => ({ resource, action })));
}

export function isRoleId(value: unknown): value is RoleId {
  return ROLES.some((r) => r.id === value);
}

export function roleName(role: RoleId): RoleName {
  const found = ROLES.find((r) => r.id === role);
  if (found === undefined) throw new RangeError(`unknown role ${String(role)}`);
  return found.name;
}

/** Accepts a role id (1–5) or a Harbor role name (`projectAdmin`, `project-admin`, `maintainer`, …). */
export function parseRole(value: string | number): RoleId | undefined {
  if (typeof value === 'number') return isRoleId(value) ? value : undefined;
  const numeric = Number(value);
  if (Number.isInteger(numeric) && isRoleId(numeric)) return numeric;
  const key = value.replaceAll(/[-_ ]/g, '').toLowerCase();
  return ROLES.find((r) => r.name.toLowerCase() === key)?.id;
}
