import type { Command } from 'commander';
import { registerCopy } from './copy.ts';
import { registerLogin } from './login.ts';
import { registerServe } from './serve.ts';
import { registerVersion } from './version.ts';

/** Every verb, in the order `slipway --help` lists them. Each file registers one verb. */
export const commands: readonly ((program: Command) => void)[] = [registerServe, registerLogin, registerCopy, registerVersion];
