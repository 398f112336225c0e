/** Warnings kept by the walker, bounded so that a hostile layer cannot flood memory with them. */
export interface WarningLog {
  add(message: string): void;
  list(): readonly string[];
}

export const MAX_WARNINGS = 1000;

/** `prefix` goes before every message, the count of those dropped included (`npm: 3 more warnings not shown`). */
export function createWarningLog(max: number = MAX_WARNINGS, prefix = ''): WarningLog {
  const messages: string[] = [];
  let dropped = 0;
  return {
    add(message) {
      if (messages.length < max) messages.push(`${prefix}${message}`);
      else dropped += 1;
    },
    list: () => (dropped === 0 ? [...messages] : [...messages, `${prefix}${dropped} more warnings not shown`]),
  };
}
