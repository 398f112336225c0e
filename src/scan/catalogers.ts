import { apk } from './catalog/apk.ts';
import { dpkg } from './catalog/dpkg.ts';
import { languageCatalogers } from './catalog/lang/index.ts';
import { rpm } from './catalog/rpm.ts';
import type { Cataloger } from './model.ts';

/** Every cataloger, in one explicit list (never registered by import side effects). */
export const catalogers: readonly Cataloger[] = [dpkg, apk, rpm, ...languageCatalogers];
