import { SignError } from './sign-error.ts';

/** What the registry holding an image says of its scan gate, and where an override is recorded. */
export interface ScanGateSource {
  /** The verdict; a registry that cannot say answers not passed, with why. */
  verdict(options?: { signal?: AbortSignal }): Promise<{ readonly passed: boolean; readonly reasons: readonly string[] }>;
  /** Records that `action` went ahead although the gate had not passed, and why (the audit log). */
  recordOverride(action: 'sign' | 'attest', reason: string, options?: { signal?: AbortSignal }): Promise<void>;
}

/** The scan gate as signing saw it: passed, or overridden with the reasons it had not. */
export interface ScanGateCheck {
  readonly passed: boolean;
  readonly forced: boolean;
  readonly reasons: readonly string[];
  /** Why it was forced (`--reason`), when it was. */
  readonly override?: string;
}

/**
 * Signing refuses an image whose scan gate has not passed (fails closed), unless forced with a
 * reason; a forced signature carries the override in its annotations (see
 * {@link forcedAnnotations}), and is recorded with the source once it is written (see
 * {@link recordForcedGate}): a signing that then fails — a wrong key password, a refused push —
 * leaves no override in the audit log for a signature that does not exist.
 */
export async function requireScanGate(
  source: ScanGateSource,
  action: 'sign' | 'attest',
  subject: string,
  override: { readonly force: boolean; readonly reason?: string },
  options: { signal?: AbortSignal } = {},
): Promise<ScanGateCheck> {
  const verdict = await source.verdict(options);
  if (verdict.passed) return { passed: true, forced: false, reasons: [] };
  if (!override.force || override.reason === undefined || override.reason.trim() === '') {
    throw new SignError('SCAN_GATE_NOT_PASSED', `refusing to ${action} ${subject}: the scan gate has not passed: ${verdict.reasons.join('; ')} (override with --force --reason "…", which is recorded)`);
  }
  return { passed: false, forced: true, reasons: [...verdict.reasons, `forced: ${override.reason}`], override: override.reason };
}

/** Records a forced gate's override with the source, after a signature carrying it was written; a gate that passed records nothing. */
export async function recordForcedGate(source: ScanGateSource, action: 'sign' | 'attest', gate: ScanGateCheck, options: { signal?: AbortSignal } = {}): Promise<void> {
  if (gate.override !== undefined) await source.recordOverride(action, gate.override, options);
}

/** Annotations a forced signature carries, so the override travels with it. */
export function forcedAnnotations(gate: ScanGateCheck): Record<string, string> {
  if (gate.override === undefined) return {};
  return { 'dev.slipway.scan-gate': 'overridden', 'dev.slipway.scan-gate.reason': gate.override };
}
