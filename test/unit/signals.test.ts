// Stop signals turned into a cancel that carries which signal it was, and the words that name it: Ctrl-C only for
// the terminal's SIGINT.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {cancelOnSignals, ctrlC, stopCauseOf, stopSignals, type SignalSource, type StopCause} from '../../source/signals.js';
import {EventEmitter} from 'node:events';
import {cancellingLine, cancellingNote, stoppedBy} from '../../source/doctor/present.js';


/** Listens as the doctor does, emits `signals` to the process's listeners (no real signal is sent), and stops listening. */
function deliver(signals: NodeJS.Signals[], fromTerminal: boolean) {
	const controller = new AbortController();
	const said: StopCause[] = [];
	const quits: number[] = [];
	const stop = cancelOnSignals(controller, cause => said.push(cause), fromTerminal, code => quits.push(code));
	try {
		for (const signal of signals) process.emit(signal, signal);
	} finally {
		stop();
	}
	return {controller, said, quits};
}

describe('a stop signal becomes a cancel that says which signal it was', () => {
	for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
		test(`${signal} without a terminal aborts the run with ${signal} as its cause, said once`, () => {
			const {controller, said, quits} = deliver([signal], false);
			assert.equal(controller.signal.aborted, true);
			assert.deepEqual(stopCauseOf(controller.signal), {signal, fromTerminal: false});
			assert.deepEqual(said, [{signal, fromTerminal: false}]);
			assert.deepEqual(quits, []);
		});
	}

	test('SIGINT with a terminal is the user\'s Ctrl-C; SIGTERM with a terminal is still SIGTERM', () => {
		assert.deepEqual(stopCauseOf(deliver(['SIGINT'], true).controller.signal), ctrlC);
		assert.deepEqual(stopCauseOf(deliver(['SIGTERM'], true).controller.signal), {signal: 'SIGTERM', fromTerminal: false});
	});

	test('a second signal quits at once with 130, whichever it is; the cause stays the first one', () => {
		const {controller, said, quits} = deliver(['SIGTERM', 'SIGINT'], false);
		assert.deepEqual(quits, [130]);
		assert.equal(said.length, 1);
		assert.deepEqual(stopCauseOf(controller.signal), {signal: 'SIGTERM', fromTerminal: false});
	});

	test('from another source (the terminal view\'s, an emitter in tests): listened to there, not on the process', () => {
		const source = new EventEmitter();
		const before = stopSignals.map(signal => process.listenerCount(signal));
		const controller = new AbortController();
		const quits: number[] = [];
		const stop = cancelOnSignals(controller, () => {}, true, code => quits.push(code), source as unknown as SignalSource);
		assert.deepEqual(stopSignals.map(signal => process.listenerCount(signal)), before);
		source.emit('SIGTERM', 'SIGTERM');
		assert.deepEqual(stopCauseOf(controller.signal), {signal: 'SIGTERM', fromTerminal: false});
		source.emit('SIGHUP', 'SIGHUP');
		assert.deepEqual(quits, [130]);
		stop();
		assert.equal(stopSignals.reduce((sum, signal) => sum + source.listenerCount(signal), 0), 0);
	});

	test('once stopped listening, a signal changes nothing (the listeners are gone)', () => {
		const before = process.listenerCount('SIGHUP');
		const stop = cancelOnSignals(new AbortController(), () => {}, false, () => {});
		assert.equal(process.listenerCount('SIGHUP'), before + 1);
		stop();
		assert.equal(process.listenerCount('SIGHUP'), before);
	});

	test('an abort without a cause, or with another reason, has no stop cause', () => {
		assert.equal(stopCauseOf(AbortSignal.abort()), undefined);
		assert.equal(stopCauseOf(AbortSignal.abort({signal: 'SIGKILL', fromTerminal: false})), undefined);
		assert.equal(stopCauseOf(new AbortController().signal), undefined);
	});
});

describe('the words name what stopped the run', () => {
	test('Ctrl-C for the terminal\'s SIGINT, the signal\'s name otherwise', () => {
		assert.equal(stoppedBy(ctrlC), 'stopped by the user (Ctrl-C)');
		assert.equal(stoppedBy({signal: 'SIGTERM', fromTerminal: false}), 'stopped by SIGTERM');
		assert.equal(stoppedBy({signal: 'SIGHUP', fromTerminal: false}), 'stopped by SIGHUP');
		assert.equal(stoppedBy({signal: 'SIGINT', fromTerminal: false}), 'stopped by SIGINT');
		assert.equal(stoppedBy(undefined), 'stopped');
	});

	test('the terminal view\'s cancelling line: Ctrl-C\'s keys; after a signal, its name and that a second one quits too', () => {
		const text = (line: ReturnType<typeof cancellingLine>) => line.map(segment => segment.text).join('');
		assert.equal(text(cancellingLine(true, ctrlC)), 'cancelling: stopping at the next safe point (Ctrl-C again to quit now)');
		assert.equal(text(cancellingLine(false)), 'cancelling: stopping at the next safe point (Ctrl-C twice to quit now)');
		assert.equal(text(cancellingLine(false, {signal: 'SIGTERM', fromTerminal: false})), 'cancelling (SIGTERM): stopping at the next safe point (a second signal or Ctrl-C twice to quit now)');
	});

	test('the cancelling note: "Ctrl-C again" only after a Ctrl-C; after a signal, its name and that a second one quits', () => {
		assert.equal(cancellingNote(ctrlC), 'cancelling: stopping at the next safe point (Ctrl-C again to quit now)');
		assert.equal(cancellingNote({signal: 'SIGTERM', fromTerminal: false}), 'cancelling (SIGTERM): stopping at the next safe point (a second signal quits now)');
		assert.equal(
			cancellingNote({signal: 'SIGHUP', fromTerminal: false}, 'every cluster stops at its next safe point'),
			'cancelling (SIGHUP): every cluster stops at its next safe point (a second signal quits now)',
		);
	});
});
