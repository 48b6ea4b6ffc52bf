/** @jsxRuntime automatic */
/** @jsxImportSource react */
// The doctor in terminals shorter than what it has to show (80x24, 120x20, smaller): every live frame stays
// shorter than the terminal, so Ink redraws it in place; the scrollback holds each step once and no copy of a
// frame; nothing needed to decide is lost (what does not fit beside the question is printed above it).
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {DoctorEvent} from '../../source/doctor/machine.js';
import type {Outcome, Plan} from '../../source/doctor/model.js';
import type {DoctorIO} from '../../source/doctor/runner.js';
import {App} from '../../source/ui/app.js';
import {afterDecline, declinedOutcome, doctorOptions, fixedOutcome, largeRollout, patchToRollout, plan, rolloutToEnd, untilConfirm} from '../helpers/doctor-fixtures.js';
import {renderInTerminal, type TerminalRun} from './terminal.js';

const pause = async (ms = 2) =>
	new Promise(resolve => {
		setTimeout(resolve, ms);
	});

/** The broken-thick run, one event at a time with a pause after each, so that every state is drawn. */
/** `rolloutSeen`: the flow goes on past `rollout`'s events only once it resolves (the test saw them drawn). */
function steppedFlow(options: {plan?: Plan; rollout?: DoctorEvent[]; rolloutSeen?: Promise<unknown>} = {}) {
	const thePlan = options.plan ?? plan;
	const answers: boolean[] = [];
	const flow = async (_options: unknown, io: DoctorIO): Promise<Outcome> => {
		for (const event of untilConfirm) {
			io.dispatch(event.type === 'planned' ? {type: 'planned', plan: thePlan} : event);
			// eslint-disable-next-line no-await-in-loop
			await pause();
		}
		const yes = await io.confirm(thePlan);
		answers.push(yes);
		if (!yes) {
			for (const event of afterDecline.slice(0, -1)) {
				io.dispatch(event);
				// eslint-disable-next-line no-await-in-loop
				await pause();
			}
			io.dispatch({type: 'finished', outcome: declinedOutcome});
			return declinedOutcome;
		}
		for (const event of [{type: 'confirm-answered', yes} as DoctorEvent, ...patchToRollout.slice(1), ...(options.rollout ?? []), ...rolloutToEnd.slice(0, -1)]) {
			io.dispatch(event);
			// eslint-disable-next-line no-await-in-loop
			await pause();
			// Ink draws at most so often: a state the test looks for is held until it was drawn.
			// eslint-disable-next-line no-await-in-loop
			if (options.rollout?.includes(event)) await options.rolloutSeen;
		}
		io.dispatch({type: 'finished', outcome: fixedOutcome});
		return fixedOutcome;
	};
	return {flow, answers};
}

function start(columns: number, rows: number, flowOptions: Parameters<typeof steppedFlow>[0] = {}) {
	const {flow, answers} = steppedFlow(flowOptions);
	const exits: number[] = [];
	const run = renderInTerminal(<App options={doctorOptions()} flow={flow} onExit={code => exits.push(code)} />, {columns, rows});
	return {run, answers, exits};
}

/** Until the app has called onExit (it waits for its last frame to be drawn: lastFrameMs). */
async function exited(exits: number[]): Promise<void> {
	for (let waited = 0; exits.length === 0 && waited < 2000; waited += 10) await new Promise(resolve => setTimeout(resolve, 10));
}

const count = (text: string, needle: string | RegExp) => (typeof needle === 'string' ? text.split(needle).length - 1 : [...text.matchAll(new RegExp(needle, 'gm'))].length);

/** Every frame Ink drew was shorter than the terminal it was drawn in, and it never had to clear the screen. */
function assertFits(run: TerminalRun): void {
	const tall = run.frames.filter(frame => frame.height > frame.rows - 1);
	assert.deepEqual(tall.map(frame => `${frame.height} rows in a terminal of ${frame.rows}`), [], `a live frame as tall as the terminal:\n${tall[0]?.output ?? ''}`);
	assert.equal(run.screen.clears, 0, 'Ink cleared the screen to redraw a frame');
}

const question = /Apply this change to ClusterRole multus\? \[y\/N\]/;
const stepTitles = ['Connect', 'Find Multus', 'Detect', 'Current vs needed', 'Confirm', 'Patch', 'Restart', 'Rollout', 'Verify'];

/** The screen's last `rows` lines: what the user sees without scrolling. */
const visible = (run: TerminalRun) => run.screen.lines.join('\n');

describe('a terminal shorter than the plan and the question', () => {
	for (const [columns, rows] of [
		[80, 24],
		[120, 20],
		[80, 20],
		[100, 16],
		[60, 14],
		[40, 30],
	] as const) {
		test(`${columns}x${rows}: every frame fits; d prints the patch once; y fixes; the scrollback holds each step once`, async () => {
			const {run, answers, exits} = start(columns, rows);
			try {
				await run.waitFor(text => question.test(text.replaceAll(/\s+/g, ' ')));
				assertFits(run);
				const asking = visible(run).replaceAll(/\s+/g, ' ');
				assert.match(asking, question, 'the question is on the screen, not scrolled away');
				assert.match(asking, /y apply/, 'and its keys');
				await run.type('d');
				await run.waitFor('kind: ClusterRole');
				assertFits(run);
				await run.answer('y');
				await run.waitFor('✔ Fixed:');
				await pause(20);
				assertFits(run);
				assert.deepEqual(answers, [true]);
				await exited(exits);
				assert.deepEqual(exits, [0]);
				const text = run.screen.text();
				assert.equal(count(text, 'kubectl multus doctor'), 1, `the header once:\n${text}`);
				for (const title of stepTitles) assert.equal(count(text, new RegExp(`^[✔✖·–?] ${title}\\b`)), 1, `${title} once:\n${text}`);
				assert.equal(count(text, '[y/N]'), 0, 'no copy of the question left behind');
				assert.equal(count(text, 'JSON patch:'), 1, 'the patch asked for is printed once');
				assert.equal(count(text, 'still to come'), 0, 'no copy of a folded frame left behind');
				assert.equal(count(text, '✔ Fixed:'), 1);
			} finally {
				run.unmount();
			}
		});
	}

	test('80x24, declined: the fix to copy is printed once above the outcome; every frame fits', async () => {
		const {run, exits} = start(80, 24);
		try {
			await run.waitFor('[y/N]');
			await run.answer('n');
			await run.waitFor('Declined: nothing was changed.');
			await pause(20);
			assertFits(run);
			await exited(exits);
			assert.deepEqual(exits, [1]);
			const text = run.screen.text();
			assert.equal(count(text, 'JSON patch:'), 1, text);
			assert.equal(count(text, 'Same fix for kubectl auth reconcile'), 1);
			assert.ok(text.indexOf('JSON patch:') > text.indexOf('✔ Confirm'), 'under the answer, above the outcome');
			for (const title of stepTitles) assert.equal(count(text, new RegExp(`^[✔✖·–?] ${title}\\b`)), 1, `${title} once:\n${text}`);
			assert.equal(count(text, '[y/N]'), 0);
		} finally {
			run.unmount();
		}
	});

	test('a tall terminal keeps the plan beside the question, and d toggles the patch there', async () => {
		const {run} = start(100, 70);
		try {
			await run.waitFor('[y/N]');
			assert.match(visible(run), /Current vs needed[\s\S]*\[y\/N\]/, 'the plan is in the live area with the question');
			assert.doesNotMatch(run.screen.text(), /printed above/);
			await run.type('d');
			await run.waitFor('JSON patch:');
			await run.type('d');
			await run.waitFor(text => !text.includes('JSON patch:'));
			assertFits(run);
		} finally {
			run.unmount();
		}
	});

	test('resized smaller at the question: the plan goes above, the frames fit again, the question stays on the screen', async () => {
		const {run} = start(120, 60);
		try {
			await run.waitFor('[y/N]');
			const before = run.frames.length;
			run.resize(80, 16);
			await run.waitFor(text => text.includes('printed above'));
			await pause(20);
			// Ink redraws the tree it has at the new size first (its own resize handler runs before the app hears of
			// it): that one frame is the old layout; from the next on, the layout is the new terminal's.
			const after = run.frames.slice(before + 1);
			assert.ok(after.length > 0);
			assert.deepEqual(after.filter(frame => frame.height > frame.rows - 1).map(frame => frame.height), []);
			assert.match(visible(run).replaceAll(/\s+/g, ' '), question);
		} finally {
			run.unmount();
		}
	});

	test('a rollout of 1000 nodes in 80x16: the grid and the counts fit', async () => {
		let seen = () => {};
		const rolloutSeen = new Promise<void>(resolve => (seen = resolve));
		const {run} = start(80, 16, {rollout: [{type: 'rollout-progress', rollout: largeRollout(1000, 400)}], rolloutSeen});
		try {
			await run.waitFor('[y/N]');
			await run.answer('y');
			await run.waitFor(text => /4[01]0\/1000/.test(text));
			seen();
			await run.waitFor('✔ Fixed:');
			assertFits(run);
			assert.ok(run.frames.some(frame => frame.output.includes('400/1000') || frame.output.includes('410/1000')), 'the large rollout was drawn');
		} finally {
			run.unmount();
		}
	});
});
