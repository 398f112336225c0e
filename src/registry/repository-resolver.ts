import { RegistryError } from './registry-error.ts';
import type { RegistryMetadata } from './registry-metadata.ts';
import type { RepositoryName } from './repository-name.ts';

/** Maps repository names to ids: for reads the repository must exist; for writes, its project. */
export interface RepositoryResolver {
  existing(repo: RepositoryName): Promise<number>;
  forWrite(repo: RepositoryName): Promise<number>;
}

export function createRepositoryResolver(metadata: RegistryMetadata, clock: () => number): RepositoryResolver {
  return {
    async existing(repo) {
      const id = await metadata.findRepositoryId(repo.name);
      if (id === undefined) {
        throw new RegistryError('NAME_UNKNOWN', `repository ${repo.name} is not known to this registry`, { detail: { name: repo.name } });
      }
      return id;
    },
    async forWrite(repo) {
      const existing = await metadata.findRepositoryId(repo.name);
      if (existing !== undefined) return existing;
      const project = await metadata.findProject(repo.project);
      if (project === undefined) {
        throw new RegistryError(
          'NAME_UNKNOWN',
          `project ${repo.project} does not exist: create it first (slipway project create ${repo.project}) or push to an existing project`,
          { detail: { name: repo.name, project: repo.project } },
        );
      }
      return metadata.ensureRepository(repo.name, project.id, clock());
    },
  };
}
