import { RegistryError } from './registry-error.ts';

const COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** Clients cap `host[:port]/name` at 255 characters; leave room for a host. */
const MAX_NAME_LENGTH = 200;

/** A validated repository name, `<project>/<path>`. */
export interface RepositoryName {
  readonly name: string;
  readonly project: string;
}

/** Validates a repository name against the spec's grammar and Slipway's `<project>/<path>` rule. */
export function parseRepositoryName(name: string): RepositoryName {
  const components = name.split('/');
  const [project] = components;
  if (name.length > MAX_NAME_LENGTH || !components.every((c) => COMPONENT.test(c))) {
    throw new RegistryError('NAME_INVALID', `invalid repository name ${JSON.stringify(name)}`, { detail: { name } });
  }
  if (components.length < 2 || project === undefined) {
    throw new RegistryError(
      'NAME_INVALID',
      `repository name ${JSON.stringify(name)} must be <project>/<repository>, for example platform-dev/${name}`,
      { detail: { name } },
    );
  }
  return { name, project };
}

export function isValidTag(tag: string): boolean {
  return TAG.test(tag);
}

export function assertTag(tag: string): void {
  if (!TAG.test(tag)) throw new RegistryError('TAG_INVALID', `invalid tag ${JSON.stringify(tag)}`, { detail: { tag } });
}
