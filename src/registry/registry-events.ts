/**
 * What the registry tells the rest of the system after a change (audit log, webhooks, and later
 * scan-on-push): a port the composition root fills. Emitting never fails a request.
 */
export type RegistryEvent =
  | {
      /** `untag`: a tag was removed, the artifact stays. */
      readonly type: 'push' | 'pull' | 'delete' | 'untag';
      readonly project: string;
      readonly repository: string;
      readonly digest: string;
      readonly mediaType: string;
      readonly tags: readonly string[];
      readonly actor: string;
      readonly at: number;
    }
  | {
      /** The pull gate refused a manifest (GET or HEAD), for these reasons. */
      readonly type: 'pull-refused';
      readonly project: string;
      readonly repository: string;
      readonly digest: string;
      readonly reasons: readonly string[];
      readonly actor: string;
      readonly at: number;
    }
  | {
      readonly type: 'quota-exceeded';
      readonly project: string;
      readonly repository: string;
      readonly digest: string;
      readonly details: string;
      readonly actor: string;
      readonly at: number;
    };

export interface RegistryEventSink {
  emit(event: RegistryEvent): void;
}

export const noRegistryEvents: RegistryEventSink = { emit: () => undefined };
