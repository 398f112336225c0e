import { JobError } from './job-error.ts';

/**
 * Cron expressions, evaluated in UTC: five fields (minute hour day-of-month month day-of-week) or
 * Harbor's six (seconds first). Each field takes `*`, numbers, lists `a,b`, ranges `a-b`, steps
 * `*\/n`, `a-b/n` and `a/n`; months and days of the week also take names (`jan`, `mon`), Sunday is
 * 0 or 7, and `?` stands for `*` in the two day fields. Shortcuts: `@yearly` (`@annually`),
 * `@monthly`, `@weekly`, `@daily` (`@midnight`) and `@hourly`.
 *
 * As in Vixie cron, when both day fields are restricted a day matching either one fires; when one
 * of them starts with `*` (or `?`) only the other one counts.
 */
export type CronField = 'second' | 'minute' | 'hour' | 'day-of-month' | 'month' | 'day-of-week';

export interface CronSchedule {
  readonly expression: string;
  readonly seconds: ReadonlySet<number>;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly daysOfMonth: ReadonlySet<number>;
  /** 1–12. */
  readonly months: ReadonlySet<number>;
  /** 0–6, Sunday 0. */
  readonly daysOfWeek: ReadonlySet<number>;
  /** Whether the day-of-month field starts with `*` or `?` (then only day-of-week restricts days). */
  readonly anyDayOfMonth: boolean;
  readonly anyDayOfWeek: boolean;
}

interface FieldSpec {
  readonly field: CronField;
  readonly min: number;
  readonly max: number;
  /** Names for the values from `min` on. */
  readonly names?: readonly string[];
  /** Whether `?` is accepted as `*`. */
  readonly question?: boolean;
}

const SECOND: FieldSpec = { field: 'second', min: 0, max: 59 };
const MINUTE: FieldSpec = { field: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { field: 'hour', min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { field: 'day-of-month', min: 1, max: 31, question: true };
const MONTH: FieldSpec = {
  field: 'month',
  min: 1,
  max: 12,
  names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
};
const DAY_OF_WEEK: FieldSpec = { field: 'day-of-week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'], question: true };

const SHORTCUTS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

/** The most days each month can have (29 in February). */
const DAYS_IN_MONTH: readonly number[] = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** How far ahead `nextCronTime` looks before deciding an expression never fires (29 February needs up to 8 years). */
const SEARCH_YEARS = 9;

/** Parses `expression`; throws `JobError` `CRON_INVALID` naming the bad field (in `detail.field` too). */
export function parseCron(expression: string): CronSchedule {
  const trimmed = expression.trim();
  const expanded = trimmed.startsWith('@') ? SHORTCUTS[trimmed.toLowerCase()] : trimmed;
  if (expanded === undefined) {
    throw new JobError('CRON_INVALID', `cron expression "${expression}": unknown shortcut (use one of ${Object.keys(SHORTCUTS).join(', ')})`);
  }
  const fields = expanded.split(/\s+/).filter((part) => part !== '');
  if (fields.length !== 5 && fields.length !== 6) {
    throw new JobError(
      'CRON_INVALID',
      `cron expression "${expression}" has ${fields.length} fields; expected 5 (minute hour day-of-month month day-of-week) or 6 (seconds first)`,
    );
  }
  const [second, minute, hour, dayOfMonth, month, dayOfWeek] = fields.length === 6 ? fields : ['0', ...fields];
  const days = parseField(expression, DAY_OF_WEEK, dayOfWeek ?? '');
  const schedule: CronSchedule = {
    expression,
    seconds: parseField(expression, SECOND, second ?? ''),
    minutes: parseField(expression, MINUTE, minute ?? ''),
    hours: parseField(expression, HOUR, hour ?? ''),
    daysOfMonth: parseField(expression, DAY_OF_MONTH, dayOfMonth ?? ''),
    months: parseField(expression, MONTH, month ?? ''),
    daysOfWeek: new Set([...days].map((day) => day % 7)),
    anyDayOfMonth: /^[*?]/.test(dayOfMonth ?? ''),
    anyDayOfWeek: /^[*?]/.test(dayOfWeek ?? ''),
  };
  // Only days of the month count (day-of-week is `*`): some must exist in one of the months.
  const longest = Math.max(...[...schedule.months].map((m) => DAYS_IN_MONTH[m - 1] ?? 31));
  if (schedule.anyDayOfWeek && Math.min(...schedule.daysOfMonth) > longest) {
    throw new JobError('CRON_INVALID', `cron expression "${expression}": day-of-month field "${dayOfMonth}" never occurs in the months of the month field`, {
      detail: { field: 'day-of-month', value: dayOfMonth },
    });
  }
  return schedule;
}

/**
 * The first time strictly after `afterMs` (whole seconds, UTC) at which `expression` fires.
 * Throws `CRON_INVALID` for an expression that does not parse or never fires (`0 0 30 2 *`).
 */
export function nextCronTime(expression: string | CronSchedule, afterMs: number): number {
  const schedule = typeof expression === 'string' ? parseCron(expression) : expression;
  if (!Number.isFinite(afterMs)) throw new JobError('OPTION_INVALID', `cannot compute a cron time after ${afterMs}`);
  let time = Math.floor(afterMs / 1000) * 1000 + 1000;
  const lastYear = new Date(time).getUTCFullYear() + SEARCH_YEARS;
  for (;;) {
    const at = new Date(time);
    const year = at.getUTCFullYear();
    const month = at.getUTCMonth();
    const date = at.getUTCDate();
    const hour = at.getUTCHours();
    const minute = at.getUTCMinutes();
    if (year > lastYear) {
      throw new JobError('CRON_INVALID', `cron expression "${schedule.expression}" never fires`, { detail: { field: 'day-of-month' } });
    }
    if (!schedule.months.has(month + 1)) time = Date.UTC(year, month + 1, 1);
    else if (!dayMatches(schedule, date, at.getUTCDay())) time = Date.UTC(year, month, date + 1);
    else if (!schedule.hours.has(hour)) time = Date.UTC(year, month, date, hour + 1);
    else if (!schedule.minutes.has(minute)) time = Date.UTC(year, month, date, hour, minute + 1);
    else if (!schedule.seconds.has(at.getUTCSeconds())) time += 1000;
    else return time;
  }
}

function dayMatches(schedule: CronSchedule, date: number, weekday: number): boolean {
  const byDate = schedule.daysOfMonth.has(date);
  const byWeekday = schedule.daysOfWeek.has(weekday);
  return schedule.anyDayOfMonth || schedule.anyDayOfWeek ? byDate && byWeekday : byDate || byWeekday;
}

function parseField(expression: string, spec: FieldSpec, text: string): Set<number> {
  const fail = (reason: string): never => {
    throw new JobError('CRON_INVALID', `cron expression "${expression}": ${spec.field} field "${text}" ${reason}`, {
      detail: { field: spec.field, value: text },
    });
  };
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const [range = '', step, extra] = part.split('/');
    if (range === '' || extra !== undefined || step === '') fail(`has a malformed item "${part}"`);
    const every = step === undefined ? 1 : toNumber(step);
    if (every === undefined || every < 1) fail(`has an invalid step "${step}"`);
    let low: number | undefined;
    let high: number | undefined;
    if (range === '*' || (range === '?' && spec.question === true)) {
      [low, high] = [spec.min, spec.max];
    } else {
      const [from = '', to, more] = range.split('-');
      if (more !== undefined) fail(`has a malformed range "${range}"`);
      low = value(spec, from);
      high = to === undefined ? (step === undefined ? low : spec.max) : value(spec, to);
      if (low === undefined) fail(`has an invalid value "${from}"`);
      if (high === undefined) fail(`has an invalid value "${to}"`);
    }
    if (low === undefined || high === undefined || every === undefined) continue;
    if (low < spec.min || high > spec.max) fail(`is out of range ${spec.min}-${spec.max}`);
    if (low > high) fail(`has a backwards range "${range}"`);
    for (let at = low; at <= high; at += every) values.add(at);
  }
  return values;
}

function value(spec: FieldSpec, text: string): number | undefined {
  const index = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  return index >= 0 ? spec.min + index : toNumber(text);
}

function toNumber(text: string): number | undefined {
  return /^\d{1,4}$/.test(text) ? Number(text) : undefined;
}
