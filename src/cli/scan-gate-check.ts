import { SignError } from '../sign/index.ts';
import { ApiError, managementClient, repositoryParam } from './management-client.ts';
import { UsageError } from './output.ts';
import type { SigningTarget } from './signing-target.ts';

/** What the registry said of the image's scan gate, and whether the signer overrode it. */
export interface ScanGateCheck {
  readonly passed: boolean;
  readonly forced: boolean;
  readonly reasons: readonly string[];
}

/**
 * Signing refuses an image whose scan gate has not passed, unless forced with a reason. The
 * verdict comes from the Slipway server that holds the image; a registry that cannot say
 * (not Slipway) counts as not passed — the gate fails closed. A forced signature is recorded
 * in the server's audit log and in the signed annotations.
 */
export async function checkScanGate(target: SigningTarget, flags: { readonly insecure?: boolean; readonly force?: boolean; readonly reason?: string }, verb: string): Promise<ScanGateCheck> {
  if (flags.force === true && (flags.reason === undefined || flags.reason.trim() === '')) throw new UsageError(`--force needs --reason: a forced ${verb} is recorded with why`);
  const host = target.reference.registry;
  const [project, ...rest] = target.reference.repository.split('/');
  const client = await managementClient({ server: `${flags.insecure === true ? 'http' : 'https'}://${host}`, output: 'text' });
  const path = `/projects/${encodeURIComponent(project ?? '')}/repositories/${repositoryParam(rest.join('/'))}/artifacts/${target.subject.digest}/scan-gate`;
  let verdict: { passed: boolean; reasons: string[] };
  try {
    verdict = await client.call<{ passed: boolean; reasons: string[] }>('GET', path);
  } catch (error) {
    if (!(error instanceof ApiError) || (error.status !== 404 && error.status !== 0)) throw error;
    verdict = { passed: false, reasons: [`${host} cannot say whether ${target.reference.repository}@${target.subject.digest} passed its scan gate (not a Slipway registry, or no such artifact): ${error.message}`] };
  }
  if (verdict.passed) return { passed: true, forced: false, reasons: [] };
  if (flags.force !== true) {
    throw new SignError('SCAN_GATE_NOT_PASSED', `refusing to ${verb} ${target.store.repository}@${target.subject.digest}: the scan gate has not passed: ${verdict.reasons.join('; ')} (override with --force --reason "…", which is recorded)`);
  }
  const reason = flags.reason ?? '';
  await client.call('POST', `${path}/overrides`, { action: verb, reason }).catch(() => undefined);
  return { passed: false, forced: true, reasons: [...verdict.reasons, `forced: ${reason}`] };
}

/** Annotations a forced signature carries, so the override travels with it. */
export function forcedAnnotations(gate: ScanGateCheck): Record<string, string> {
  if (!gate.forced) return {};
  return { 'dev.slipway.scan-gate': 'overridden', 'dev.slipway.scan-gate.reason': gate.reasons.at(-1)?.replace(/^forced: /, '') ?? '' };
}
