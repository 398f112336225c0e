import { spawn } from 'node:child_process';

const MAIN = new URL('../cli/main.ts', import.meta.url).pathname;

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the real `slipway` CLI in a child process (the same entry point `npm exec slipway` runs),
 * with `env` over the test's environment and `input` on standard input.
 */
export function runSlipway(args: readonly string[], env: Readonly<Record<string, string>> = {}, input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** An environment whose credential files all live under `dir`, so a test never reads or writes the user's. */
export function isolatedCredentialEnv(dir: string): Record<string, string> {
  return {
    SLIPWAY_AUTH_FILE: `${dir}/auth.json`,
    HOME: dir,
    XDG_CONFIG_HOME: `${dir}/config`,
    XDG_RUNTIME_DIR: `${dir}/run`,
    DOCKER_CONFIG: `${dir}/docker`,
  };
}
