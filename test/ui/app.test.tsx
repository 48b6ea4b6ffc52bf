/** @jsxRuntime automatic */
/** @jsxImportSource react */
import {frameOf, keys, linesWiderThan, renderInk, resize, sendAnswer, sendKeys, waitFor, waitForFrame, type InkInstance} from '../helpers/ink.js';
import assert from 'node:assert/strict';
import {afterEach, describe, test} from 'node:test';
import {cleanup} from 'ink-testing-library';
import {doctorOptions, scriptedFlow} from '../helpers/doctor-fixtures.js';
import {App} from '../../source/ui/app.js';
import {commandFor, questionArmMs} from '../../source/ui/keys.js';
import type {DoctorOptions} from '../../source/options.js';

afterEach(() => {
	cleanup();
});

const question = 'Apply this change to ClusterRole multus? [y/N]';

function start(flowOptions: Parameters<typeof scriptedFlow>[0] = {}, options: Partial<DoctorOptions> = {}) {
	const {flow, record} = scriptedFlow(flowOptions);
	const exits: number[] = [];
	const instance: InkInstance = renderInk(<App options={doctorOptions(options)} flow={flow} onExit={code => exits.push(code)} />);
	// A terminal tall enough for the plan beside the question (short ones: short-terminal.test.tsx).
	resize(instance, 100, 70);
	return {instance, record, exits};
}

describe('the confirm prompt', () => {
	test('y applies: confirm resolves true and the flow runs on to the outcome', async () => {
		const {instance, record, exits} = start();
		await waitForFrame(instance, question);
		await sendAnswer(instance, 'y');
		const frame = await waitForFrame(instance, '✔ Fixed:');
		assert.deepEqual(record.answers, [true]);
		assert.match(frame, /✔ Confirm +yes/);
		assert.match(frame, /✔ proven by the daemons themselves/);
		assert.doesNotMatch(frame, /Apply this change/, 'the question is gone once answered');
		await waitFor(() => exits.length > 0, 'the exit');
		assert.deepEqual(exits, [0]);
	});

	test('Y applies too', async () => {
		const {instance, record} = start();
		await waitForFrame(instance, question);
		await sendAnswer(instance, 'Y');
		await waitForFrame(instance, '✔ Fixed:');
		assert.deepEqual(record.answers, [true]);
	});

	for (const [name, key] of [
		['n', 'n'],
		['N', 'N'],
		['Enter', keys.enter],
		['Escape', keys.escape],
	] as const) {
		test(`${name} declines: confirm resolves false, nothing is changed, exit 1`, async () => {
			const {instance, record, exits} = start();
			await waitForFrame(instance, question);
			await sendAnswer(instance, key);
			const frame = await waitForFrame(instance, 'Declined: nothing was changed.');
			assert.deepEqual(record.answers, [false]);
			assert.match(frame, /✔ Confirm +no/);
			assert.match(frame, /– Patch/);
			await waitFor(() => exits.length > 0, 'the exit');
			assert.deepEqual(exits, [1]);
		});
	}

	test('other keys do not answer', async () => {
		const {instance, record} = start();
		await waitForFrame(instance, question);
		await sendAnswer(instance, 'x', ' ', 'q');
		assert.deepEqual(record.answers, []);
		assert.match(await waitForFrame(instance, question), /\? Confirm/);
	});

	test('d shows and hides the JSON patch and the reconcile YAML', async () => {
		const {instance} = start();
		await waitForFrame(instance, question);
		assert.doesNotMatch(await waitForFrame(instance, question), /JSON patch:/);
		await sendKeys(instance, 'd');
		await waitForFrame(instance, frame => frame.includes('JSON patch:') && frame.includes('kind: ClusterRole'));
		await sendKeys(instance, 'd');
		await waitForFrame(instance, frame => frame.includes(question) && !frame.includes('JSON patch:'));
	});

	test('--yes answers without asking', async () => {
		const {instance, record} = start({}, {yes: true});
		const frame = await waitForFrame(instance, '✔ Fixed:');
		assert.deepEqual(record.answers, [true]);
		assert.match(frame, /✔ Confirm +yes \(--yes\)/);
	});
});

describe('the question takes only an answer given to it', () => {
	const pause = async (ms: number) => new Promise(resolve => {
		setTimeout(resolve, ms);
	});

	test('keys as the question appears (an Enter typed while waiting, a y+Enter) are dropped, not kept: it waits, then takes the next answer', async () => {
		const {instance, record, exits} = start();
		await waitForFrame(instance, question);
		// At once: the moment the question is drawn, before anyone could have read it.
		instance.stdin.write(keys.enter);
		instance.stdin.write('y\r');
		await pause(questionArmMs + 150);
		assert.deepEqual(record.answers, [], 'nothing answered before the question was on screen a moment');
		assert.match(frameOf(instance), /\[y\/N\]/, 'still asking');
		await sendAnswer(instance, 'y');
		await waitForFrame(instance, '✔ Fixed:');
		assert.deepEqual(record.answers, [true], 'the dropped keys were not kept for later either');
		await waitFor(() => exits.length > 0, 'the exit');
		assert.deepEqual(exits, [0]);
	});

	// Over ssh, typed fast or pasted, a y and its Enter (or "yes") come in one read.
	for (const [name, chunk, yes] of [
		['y+Enter', 'y\r', true],
		['yes', 'yes', true],
		['Yes+Enter', 'Yes\r', true],
		['a key repeat yy', 'yy', true],
		['a bracketed paste of "yes\\n"', '\u001B[200~yes\n\u001B[201~', true],
		['n+Enter', 'n\r', false],
		['no', 'no', false],
		['three Enters at once (the default, once)', '\r\r\r', false],
		['Ctrl-D', '\u0004', false],
	] as const) {
		test(`${name} in one chunk answers ${yes ? 'yes' : 'no'}`, async () => {
			const {instance, record} = start();
			await waitForFrame(instance, question);
			await sendAnswer(instance, chunk);
			await waitForFrame(instance, yes ? '✔ Fixed:' : 'Declined: nothing was changed.');
			assert.deepEqual(record.answers, [yes]);
		});
	}

	for (const [name, chunk] of [
		['Alt-y', '\u001By'],
		['a word that is not yes or no', 'yq'],
		['spaces', '  '],
		['a paste of other text', 'kubectl'],
	] as const) {
		test(`${name} does not answer`, async () => {
			const {instance, record} = start();
			await waitForFrame(instance, question);
			await sendAnswer(instance, chunk);
			await pause(50);
			assert.deepEqual(record.answers, []);
			assert.match(frameOf(instance), /\[y\/N\]/);
		});
	}
});

describe('Ctrl-C', () => {
	test('at the question: cancels, aborts the signal, and says nothing was changed', async () => {
		const {instance, record, exits} = start();
		await waitForFrame(instance, question);
		await sendKeys(instance, keys.ctrlC);
		const frame = await waitForFrame(instance, 'Cancelled during confirm.');
		assert.equal(record.signal?.aborted, true);
		assert.deepEqual(record.answers, [false], 'the pending question is released');
		assert.match(frame, /Nothing in the cluster was changed\./);
		assert.match(frame, /^✖ Confirm/m, 'the step the Ctrl-C stopped is not marked done');
		await waitFor(() => exits.length > 0, 'the exit');
		assert.deepEqual(exits, [1]);
	});

	test('during the rollout: cancels the watch and says what state the cluster is in', async () => {
		const {instance, record} = start({holdRollout: true});
		await waitForFrame(instance, question);
		await sendAnswer(instance, 'y');
		await waitForFrame(instance, '1/3 updated');
		assert.equal(record.signal?.aborted, false);
		await sendKeys(instance, keys.ctrlC);
		const frame = await waitForFrame(instance, 'Cancelled during rollout.');
		assert.equal(record.signal?.aborted, true);
		assert.match(frame, /✖ Cancelled during rollout\. ClusterRole multus was patched and the DaemonSet restart was started/);
		assert.equal(frame.split('the DaemonSet restart was started').length - 1, 1, 'the cluster state is said once');
		assert.match(frame, /^✖ Rollout\n {4}1\/3 updated/m, 'the stopped rollout is not marked done, and shows where it stopped');
	});

	test('a second Ctrl-C soon after quits at once with 130, even if the step never stops', async () => {
		const {instance, record, exits} = start({ignoreAbort: true});
		await waitForFrame(instance, question);
		await sendAnswer(instance, 'y');
		await waitForFrame(instance, '1/3 updated');
		await sendKeys(instance, keys.ctrlC);
		await waitForFrame(instance, 'cancelling: stopping at the next safe point (Ctrl-C again to quit now)');
		assert.equal(record.signal?.aborted, true);
		assert.deepEqual(exits, [], 'the first Ctrl-C waits for the step');
		await sendKeys(instance, keys.ctrlC);
		await waitFor(() => exits.length > 0, 'the exit');
		assert.deepEqual(exits, [130]);
		const frame = await waitForFrame(instance, 'quit without waiting');
		assert.match(frame, /ClusterRole multus was patched and the DaemonSet restart was started/);
		assert.match(frame, /^✖ Rollout/m, 'the step it quit in is not left spinning');
	});

	test('the key map: Ctrl-C interrupts anywhere, answers only while asking', () => {
		const key = {ctrl: false, meta: false, return: false, escape: false} as Parameters<typeof commandFor>[1];
		assert.equal(commandFor('c', {...key, ctrl: true}, 'running'), 'interrupt');
		assert.equal(commandFor('c', key, 'running'), undefined);
		assert.equal(commandFor('y', key, 'running'), undefined);
		assert.equal(commandFor('y', key, 'confirm'), 'confirm-yes');
		assert.equal(commandFor('', {...key, return: true}, 'confirm'), 'confirm-no');
		assert.equal(commandFor('', {...key, escape: true}, 'confirm'), 'confirm-no');
		assert.equal(commandFor('d', {...key, ctrl: true}, 'confirm'), 'confirm-no', 'Ctrl-D: the default answer');
		assert.equal(commandFor('d', key, 'confirm'), 'toggle-details');
		assert.equal(commandFor('yes\r', key, 'running'), undefined, 'a typed answer means nothing while nothing is asked');
		assert.equal(commandFor('z', {...key, ctrl: true}, 'running'), 'suspend', 'Ctrl-Z, read as a key in raw mode');
		assert.equal(commandFor('z', {...key, ctrl: true}, 'confirm'), 'suspend');
	});
});

describe('the terminal', () => {
	test('a resize to 40 columns re-renders without a line wider than the terminal', async () => {
		const {instance} = start();
		await waitForFrame(instance, question);
		assert.match(await waitForFrame(instance, question), /now: +Multus needs:/);
		resize(instance, 40);
		// The steps printed before the resize keep their width (they are in the scrollback); the live area,
		// from the plan held next to the question on, is drawn again at 40.
		const live = (frame: string) => frame.slice(frame.indexOf('✔ Current vs needed'));
		const frame = await waitForFrame(instance, current => current.includes('[y/N]') && !/now: +Multus needs:/.test(current));
		assert.deepEqual(linesWiderThan(live(frame), 40), []);
		await sendAnswer(instance, 'y');
		const final = await waitForFrame(instance, 'Fixed:');
		assert.deepEqual(linesWiderThan(live(final), 40), []);
	});

	test('NO_COLOR: the whole session, first frame to last, has no escape sequence', async () => {
		const {instance} = start({}, {color: false});
		await waitForFrame(instance, question);
		await sendAnswer(instance, 'y');
		await waitForFrame(instance, '✔ Fixed:');
		const escapes = instance.frames.filter(frame => frame.includes('\u001B'));
		assert.deepEqual(escapes, []);
	});
});
