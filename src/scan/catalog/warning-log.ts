/** Warnings kept by the walker, bounded so that a hostile layer cannot flood memory with them. */
export interface WarningLog {
  add(message: string): void;
  list(): readonly string[];
}

export const MAX_WARNINGS = 1000;

export function createWarningLog(max: number = MAX_WARNINGS): WarningLog {
  const messages: string[] = [];
  let dropped = 0;
  return {
    add(message) {
      if (messages.length < max) messages.push(message);
      else dropped += 1;
    },
    list: () => (dropped === 0 ? [...messages] : [...messages, `${dropped} more warnings not shown`]),
  };
}
