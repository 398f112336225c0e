import { accountRoutes } from './api-accounts.ts';
import type { ApiRoute } from './api-route.ts';
import { artifactRoutes } from './api-artifacts.ts';
import { eventRoutes } from './api-events.ts';
import { labelRoutes } from './api-labels.ts';
import { policyRoutes } from './api-policies.ts';
import { projectRoutes } from './api-projects.ts';
import { rescanRoutes } from './api-rescans.ts';
import { scanRoutes } from './api-scans.ts';
import { systemRoutes } from './api-system.ts';
import { trustPolicyRoutes } from './api-trust-policy.ts';

/** Every operation of `/api/v2.0`, in the order the OpenAPI document lists them. */
export const apiRoutes: readonly ApiRoute[] = [...projectRoutes, ...accountRoutes, ...artifactRoutes, ...scanRoutes, ...rescanRoutes, ...labelRoutes, ...policyRoutes, ...trustPolicyRoutes, ...eventRoutes, ...systemRoutes];
