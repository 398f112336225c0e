/** The language-ecosystem catalogers, in the order they run. */
import type { Cataloger } from '../../model.ts';
import { goBinary } from './go-binary.ts';
import { javaArchive } from './java-archive.ts';
import { npm } from './npm.ts';
import { python } from './python.ts';

export const languageCatalogers: readonly Cataloger[] = [npm, python, goBinary, javaArchive];
