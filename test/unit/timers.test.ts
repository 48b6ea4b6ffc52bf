import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {bounded, pause} from '../../source/timers.js';

const never = new Promise<string>(() => {});

describe('pause and bounded: waits that Ctrl-C and deadlines cut short', () => {
	test('pause waits, and ends early when the signal aborts, or at once when it already has', async () => {
		let started = performance.now();
		await pause(30);
		assert.ok(performance.now() - started >= 25);
		const controller = new AbortController();
		started = performance.now();
		setTimeout(() => controller.abort(), 10);
		await pause(5000, controller.signal);
		assert.ok(performance.now() - started < 1000);
		started = performance.now();
		await pause(5000, AbortSignal.abort());
		assert.ok(performance.now() - started < 1000);
	});

	test('bounded gives the value in time, undefined at the deadline or on abort, and passes a rejection on', async () => {
		assert.equal(await bounded(Promise.resolve('ok'), Number.POSITIVE_INFINITY), 'ok');
		assert.equal(await bounded(never, Date.now() + 20), undefined);
		const controller = new AbortController();
		setTimeout(() => controller.abort(), 10);
		assert.equal(await bounded(never, Number.POSITIVE_INFINITY, controller.signal), undefined);
		assert.equal(await bounded(never, Number.POSITIVE_INFINITY, AbortSignal.abort()), undefined);
		await assert.rejects(bounded(Promise.reject(new Error('refused')), Number.POSITIVE_INFINITY), /refused/);
	});
});
