// Durations (source/duration.ts): what --timeout and --request-timeout accept is what a timer can keep (issue #12,
// item 7: 600h overflowed Node's timers, which then fired at once).
import {describe, test} from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {formatDuration, longestDurationMs, parseDuration} from '../../source/duration.js';
import {pause} from '../../source/timers.js';

describe('parseDuration', () => {
	test("kubectl's forms, in milliseconds", () => {
		assert.equal(parseDuration('timeout', '5m'), 300_000);
		assert.equal(parseDuration('timeout', '1h30m'), 5_400_000);
		assert.equal(parseDuration('timeout', '1.5s'), 1500);
		assert.equal(parseDuration('request-timeout', '30'), 30_000);
		assert.equal(parseDuration('timeout', '0'), 0);
	});

	test('longer than a timer can keep (2^31-1 ms, about 596 h) is refused, saying the limit; 596h31m23s is taken', () => {
		for (const [flag, text] of [['timeout', '600h'], ['request-timeout', '600h'], ['timeout', '596h31m24s'], ['request-timeout', '2147484'], ['timeout', '99999999999999999999h']] as const) {
			assert.throws(() => parseDuration(flag, text), {kind: 'Usage', message: `invalid --${flag} "${text}": longer than a timer can keep (at most 596h31m23s)`});
		}
		assert.equal(parseDuration('timeout', '596h31m23s'), 2_147_483_000);
		assert.equal(parseDuration('timeout', `${longestDurationMs}ms`), longestDurationMs);
		assert.equal(formatDuration(longestDurationMs - (longestDurationMs % 1000)), '596h31m23s');
	});

	test('a negative duration is said to be one', () => {
		assert.throws(() => parseDuration('timeout', '-3s'), {kind: 'Usage', message: 'invalid --timeout "-3s": a negative duration'});
	});

	test('every duration it accepts fits a timer', () => {
		fc.assert(
			fc.property(fc.array(fc.tuple(fc.nat({max: 1_000_000}), fc.constantFrom('ms', 's', 'm', 'h')), {minLength: 1, maxLength: 4}), parts => {
				const text = parts.map(([amount, unit]) => `${amount}${unit}`).join('');
				let ms: number | undefined;
				try {
					ms = parseDuration('timeout', text);
				} catch (error) {
					assert.match((error as Error).message, /longer than a timer can keep/);
					return;
				}
				assert.ok(Number.isSafeInteger(ms) && ms >= 0 && ms <= longestDurationMs, `${text} -> ${ms}`);
			}),
			{seed: 12, numRuns: 500},
		);
	});

	test('the longest accepted duration is kept: a wait that long is still waiting, until cancelled', async () => {
		const controller = new AbortController();
		let done = false;
		const waiting = pause(parseDuration('timeout', '596h'), controller.signal).then(() => (done = true));
		await new Promise(resolve => setTimeout(resolve, 50));
		assert.equal(done, false);
		controller.abort();
		await waiting;
		assert.equal(done, true);
	});
});
