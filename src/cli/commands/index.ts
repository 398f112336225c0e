import type { Command } from 'commander';
import { registerAudit } from './audit.ts';
import { registerCopy } from './copy.ts';
import { registerDb } from './db.ts';
import { registerGc } from './gc.ts';
import { registerLogin } from './login.ts';
import { registerMember } from './member.ts';
import { registerPolicy } from './policy.ts';
import { registerProject } from './project.ts';
import { registerRetention } from './retention.ts';
import { registerRescan } from './rescan.ts';
import { registerRobot } from './robot.ts';
import { registerSbom } from './sbom.ts';
import { registerScan } from './scan.ts';
import { registerServe } from './serve.ts';
import { registerUser } from './user.ts';
import { registerVersion } from './version.ts';
import { registerWebhook } from './webhook.ts';

/** Every verb, in the order `slipway --help` lists them. Each file registers one verb. */
export const commands: readonly ((program: Command) => void)[] = [
  registerServe,
  registerLogin,
  registerCopy,
  registerScan,
  registerSbom,
  registerDb,
  registerRescan,
  registerProject,
  registerMember,
  registerUser,
  registerRobot,
  registerPolicy,
  registerRetention,
  registerAudit,
  registerGc,
  registerWebhook,
  registerVersion,
];
