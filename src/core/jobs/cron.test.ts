import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextCronTime, parseCron } from './cron.ts';
import { JobError } from './job-error.ts';

const at = (iso: string): number => Date.parse(iso);
const next = (expression: string, after: string): string => new Date(nextCronTime(expression, at(after))).toISOString();

describe('cron', () => {
  const vectors: readonly (readonly [string, string, string])[] = [
    ['*/15 * * * *', '2025-03-04T10:07:00Z', '2025-03-04T10:15:00.000Z'],
    ['*/15 * * * *', '2025-03-04T10:15:00Z', '2025-03-04T10:30:00.000Z'],
    ['*/15 * * * *', '2025-03-04T23:59:30Z', '2025-03-05T00:00:00.000Z'],
    ['0 0 0 * * *', '2025-03-04T10:07:00Z', '2025-03-05T00:00:00.000Z'],
    ['0 0 0 * * *', '2025-12-31T23:59:59.999Z', '2026-01-01T00:00:00.000Z'],
    ['0 3 * * 1', '2025-03-04T10:07:00Z', '2025-03-10T03:00:00.000Z'],
    ['0 3 * * mon', '2025-03-10T02:59:59Z', '2025-03-10T03:00:00.000Z'],
    ['0 3 * * 7', '2025-03-04T10:07:00Z', '2025-03-09T03:00:00.000Z'],
    ['30 */10 * * * *', '2025-03-04T10:07:00Z', '2025-03-04T10:10:30.000Z'],
    ['0 9-17/4 * * *', '2025-03-04T10:07:00Z', '2025-03-04T13:00:00.000Z'],
    ['0 0 1,15 * *', '2025-03-04T10:07:00Z', '2025-03-15T00:00:00.000Z'],
    ['0 0 31 * *', '2025-04-01T00:00:00Z', '2025-05-31T00:00:00.000Z'],
    ['0 0 29 feb *', '2025-03-04T10:07:00Z', '2028-02-29T00:00:00.000Z'],
    ['0 0 1 JAN-MAR/2 *', '2025-02-01T00:00:00Z', '2025-03-01T00:00:00.000Z'],
    ['0 0 13 * 5', '2025-03-04T00:00:00Z', '2025-03-07T00:00:00.000Z'],
    ['0 0 0 ? * SUN', '2025-03-04T00:00:00Z', '2025-03-09T00:00:00.000Z'],
    ['5/20 * * * *', '2025-03-04T10:30:00Z', '2025-03-04T10:45:00.000Z'],
    ['@hourly', '2025-03-04T10:07:00Z', '2025-03-04T11:00:00.000Z'],
    ['@daily', '2025-03-04T10:07:00Z', '2025-03-05T00:00:00.000Z'],
    ['@weekly', '2025-03-04T10:07:00Z', '2025-03-09T00:00:00.000Z'],
    ['@monthly', '2025-03-04T10:07:00Z', '2025-04-01T00:00:00.000Z'],
    ['@yearly', '2025-03-04T10:07:00Z', '2026-01-01T00:00:00.000Z'],
  ];
  for (const [expression, after, expected] of vectors) {
    it(`${expression} after ${after} is ${expected}`, () => {
      assert.equal(next(expression, after), expected);
    });
  }

  it('is strictly after the given time, at whole seconds', () => {
    assert.equal(next('* * * * * *', '2025-03-04T10:07:00.000Z'), '2025-03-04T10:07:01.000Z');
    assert.equal(next('* * * * * *', '2025-03-04T10:07:00.400Z'), '2025-03-04T10:07:01.000Z');
  });

  it('parses into sets of values', () => {
    const schedule = parseCron('0 3 * * 1-5');
    assert.deepEqual([...schedule.daysOfWeek], [1, 2, 3, 4, 5]);
    assert.deepEqual([...schedule.seconds], [0]);
    assert.equal(schedule.anyDayOfMonth, true);
    assert.equal(schedule.anyDayOfWeek, false);
  });

  const invalid: readonly (readonly [string, string | undefined])[] = [
    ['61 * * * *', 'minute'],
    ['* 24 * * *', 'hour'],
    ['0 0 0 * * 8', 'day-of-week'],
    ['60 * * * * *', 'second'],
    ['0 0 32 * *', 'day-of-month'],
    ['0 0 * 13 *', 'month'],
    ['0 0 * foo *', 'month'],
    ['*/0 * * * *', 'minute'],
    ['5-1 * * * *', 'minute'],
    ['1,,2 * * * *', 'minute'],
    ['? * * * *', 'minute'],
    ['1-2-3 * * * *', 'minute'],
    ['* * * *', undefined],
    ['* * * * * * *', undefined],
    ['@fortnightly', undefined],
    ['0 0 30 2 *', 'day-of-month'],
  ];
  for (const [expression, field] of invalid) {
    it(`rejects ${JSON.stringify(expression)}${field === undefined ? '' : ` naming the ${field} field`}`, () => {
      assert.throws(
        () => nextCronTime(expression, at('2025-03-04T10:07:00Z')),
        (error: unknown) => {
          assert.ok(error instanceof JobError);
          assert.equal(error.code, 'CRON_INVALID');
          if (field !== undefined) {
            assert.deepEqual((error.detail as { field: string }).field, field);
            assert.match(error.message, new RegExp(field));
          }
          return true;
        },
      );
    });
  }
});
