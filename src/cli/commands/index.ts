import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Every verb, in the order `slipway --help` lists them. Each file registers one verb; a verb's
 * module (and what it pulls in: the server, the database drivers, the scanner) is loaded only
 * when that verb runs, so `slipway scan` in CI does not pay for `serve`.
 */
export const commands: readonly { readonly name: string; readonly load: () => Promise<Register> }[] = [
  { name: 'serve', load: async () => (await import('./serve.ts')).registerServe },
  { name: 'login', load: async () => (await import('./login.ts')).registerLogin },
  { name: 'copy', load: async () => (await import('./copy.ts')).registerCopy },
  { name: 'scan', load: async () => (await import('./scan.ts')).registerScan },
  { name: 'sbom', load: async () => (await import('./sbom.ts')).registerSbom },
  { name: 'db', load: async () => (await import('./db.ts')).registerDb },
  { name: 'key', load: async () => (await import('./key.ts')).registerKey },
  { name: 'rescan', load: async () => (await import('./rescan.ts')).registerRescan },
  { name: 'sign', load: async () => (await import('./sign.ts')).registerSign },
  { name: 'verify', load: async () => (await import('./verify.ts')).registerVerify },
  { name: 'attest', load: async () => (await import('./attest.ts')).registerAttest },
  { name: 'verify-attestation', load: async () => (await import('./verify-attestation.ts')).registerVerifyAttestation },
  { name: 'project', load: async () => (await import('./project.ts')).registerProject },
  { name: 'member', load: async () => (await import('./member.ts')).registerMember },
  { name: 'user', load: async () => (await import('./user.ts')).registerUser },
  { name: 'robot', load: async () => (await import('./robot.ts')).registerRobot },
  { name: 'policy', load: async () => (await import('./policy.ts')).registerPolicy },
  { name: 'retention', load: async () => (await import('./retention.ts')).registerRetention },
  { name: 'audit', load: async () => (await import('./audit.ts')).registerAudit },
  { name: 'gc', load: async () => (await import('./gc.ts')).registerGc },
  { name: 'webhook', load: async () => (await import('./webhook.ts')).registerWebhook },
  { name: 'version', load: async () => (await import('./version.ts')).registerVersion },
];

/** The verb a command line names: its first word, or `version` for a bare `--version`. */
export function verbOf(argv: readonly string[]): string | undefined {
  const bareVersion = argv.length > 0 && argv.every((arg) => arg === '--version' || arg === '-V');
  return bareVersion ? 'version' : argv.find((arg) => !arg.startsWith('-'));
}

/**
 * The verbs to register for this command line: the one named (and `version`, which owns
 * `--version`), only `version` for a bare `--version`, else all (help, typos).
 */
export async function commandsFor(argv: readonly string[]): Promise<Register[]> {
  const verb = verbOf(argv);
  const named = commands.filter((c) => c.name === verb || c.name === 'version');
  const chosen = named.some((c) => c.name === verb) ? named : commands;
  return Promise.all(chosen.map((c) => c.load()));
}
