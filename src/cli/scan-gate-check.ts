import { recordForcedGate, requireScanGate, type ScanGateCheck, type ScanGateSource } from '../sign/index.ts';
import { ApiError, managementClient, repositoryParam } from './management-client.ts';
import { UsageError } from './output.ts';
import type { SigningTarget } from './signing-target.ts';

/**
 * The scan gate as signing saw it. `written` goes to the signing as its `written` option;
 * `recordOverride` (in a `finally`) then records a forced gate once any signature carrying it was
 * stored, even if a later scheme or child failed, and nothing when none was.
 */
export interface CheckedScanGate {
  readonly gate: ScanGateCheck;
  readonly written: () => void;
  readonly recordOverride: () => Promise<void>;
}

/**
 * The scan gate of the image, asked of the Slipway server that holds it
 * (`…/artifacts/<digest>/scan-gate`; overrides to `…/scan-gate/overrides`, the audit log). A
 * registry that cannot say (not Slipway, or no such artifact) answers not passed.
 */
export async function checkScanGate(target: SigningTarget, flags: { readonly insecure?: boolean; readonly force?: boolean; readonly reason?: string }, action: 'sign' | 'attest'): Promise<CheckedScanGate> {
  if (flags.force === true && (flags.reason === undefined || flags.reason.trim() === '')) throw new UsageError(`--force needs --reason: a forced ${action} is recorded with why`);
  const host = target.reference.registry;
  const [project, ...rest] = target.reference.repository.split('/');
  const client = await managementClient({ server: `${flags.insecure === true ? 'http' : 'https'}://${host}`, output: 'text' });
  const path = `/projects/${encodeURIComponent(project ?? '')}/repositories/${repositoryParam(rest.join('/'))}/artifacts/${target.subject.digest}/scan-gate`;
  const source: ScanGateSource = {
    async verdict() {
      try {
        return await client.call<{ passed: boolean; reasons: string[] }>('GET', path);
      } catch (error) {
        if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 0)) throw error;
        const why = error.status === 0 ? error.message : `${host} is not a Slipway registry, or holds no such artifact`;
        return { passed: false, reasons: [`nothing can say whether ${target.reference.repository}@${target.subject.digest} passed its scan gate: ${why}`] };
      }
    },
    async recordOverride(verb, reason) {
      // A registry without the API (not Slipway) records nothing; the signature's annotations still do.
      await client.call('POST', `${path}/overrides`, { action: verb, reason }).catch((error: unknown) => {
        if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 0)) throw error;
      });
    },
  };
  const gate = await requireScanGate(source, action, `${target.store.repository}@${target.subject.digest}`, { force: flags.force === true, ...(flags.reason === undefined ? {} : { reason: flags.reason }) });
  const done = action === 'sign' ? 'signed' : 'attested';
  let wrote = false;
  const recordOverride = async () => {
    if (!wrote) return;
    try {
      await recordForcedGate(source, action, gate);
    } catch (error) {
      // Said plainly: the image is already signed, and a retry would sign it again.
      const reason = error instanceof Error ? error.message : String(error);
      throw Object.assign(new Error(`${target.store.repository}@${target.subject.digest} is ${done}, but recording the forced ${action} in the audit log failed: ${reason}`), {
        code: 'OVERRIDE_NOT_RECORDED',
      });
    }
  };
  return { gate, written: () => (wrote = true), recordOverride };
}

/** The line a forced `sign` or `attest` prints first: what was overridden and why. */
export function forcedWarning(gate: ScanGateCheck, done: 'signed' | 'attested'): string[] {
  return gate.passed ? [] : [`WARNING: ${done} although the scan gate has not passed (${gate.reasons.join('; ')})`];
}
