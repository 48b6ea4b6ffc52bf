/** @jsxRuntime automatic */
/** @jsxImportSource react */
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {ThemeProvider} from '@inkjs/ui';
import {afterDecline, fixedRun, largeRollout, rolloutMidway, stateAfter, untilConfirm, patchToRollout, rolloutToEnd} from '../helpers/doctor-fixtures.js';
import {doctorReducer, initialState, withStoppedStep, type DoctorEvent, type DoctorState} from '../../source/doctor/machine.js';
import {DoctorView} from '../../source/ui/components/doctor-view.js';
import {advanceStepLog, arrangeLog, emptyStepLog, liveBudget, liveLayout, showPlanPatch, stepDetail, type LogEntry, type StepLog, type ViewSize} from '../../source/ui/layout.js';
import {ThemeContext, themeFor} from '../../source/ui/theme.js';
import {defaultMode} from './view.js';
import {renderInTerminal} from './terminal.js';
import {brokenThick} from '../helpers/fake-multus.js';
import {runFlow} from '../helpers/flow.js';

/** Feeds events one by one, advancing the log after each as the app does on every render. */
function logAfter(events: DoctorEvent[]): StepLog {
	let state = initialState();
	let log = emptyStepLog;
	for (const event of events) {
		state = doctorReducer(state, event);
		log = advanceStepLog(log, state);
	}

	return log;
}

const printed = (log: StepLog) => log.entries.map((entry: LogEntry) => (entry.kind === 'step' ? entry.step : entry.kind));

describe('the printed log of finished steps', () => {
	test('steps are printed in order once they settle; the plan waits for the answer', () => {
		assert.deepEqual(printed(logAfter(untilConfirm)), ['header', 'connect', 'find', 'detect']);
		assert.deepEqual(printed(logAfter([...untilConfirm, ...patchToRollout])), ['header', 'connect', 'find', 'detect', 'plan', 'confirm', 'patch', 'restart']);
		assert.deepEqual(printed(logAfter(fixedRun)), ['header', 'connect', 'find', 'detect', 'plan', 'confirm', 'patch', 'restart', 'rollout', 'verify']);
	});

	test('each entry keeps the state it settled in (no later change redraws it)', () => {
		const log = logAfter(fixedRun);
		const plan = log.entries.find(entry => entry.kind === 'step' && entry.step === 'plan');
		assert.equal(plan?.state.current, 'patch');
		assert.equal(plan?.state.outcome, undefined);
	});

	test('nothing changes: the same log object comes back', () => {
		const state = stateAfter(untilConfirm);
		const log = advanceStepLog(emptyStepLog, state);
		assert.equal(advanceStepLog(log, state), log);
	});

	test('a conflict sends the flow back to the plan: the plan, question and patch are printed again', () => {
		const conflict: DoctorEvent[] = [
			...untilConfirm,
			{type: 'confirm-answered', yes: true},
			{type: 'step-started', step: 'patch'},
			{type: 'conflict', note: 'ClusterRole multus changed while we were asking (someone else wrote it): re-reading it and planning again.'},
			...untilConfirm.slice(6),
			...patchToRollout,
		];
		assert.deepEqual(printed(logAfter(conflict)), ['header', 'connect', 'find', 'detect', 'plan', 'confirm', 'plan', 'confirm', 'patch', 'restart']);
	});
});

describe('how much each step shows', () => {
	test('running and failed steps in full; detect, plan and verify keep their evidence; the rest fold', () => {
		const state = stateAfter(fixedRun);
		assert.deepEqual(
			['connect', 'find', 'detect', 'plan', 'confirm', 'patch', 'restart', 'rollout', 'verify'].map(step => stepDetail(state, step as never)),
			['summary', 'summary', 'full', 'full', 'summary', 'summary', 'summary', 'summary', 'full'],
		);
		assert.equal(stepDetail(stateAfter(untilConfirm.slice(0, 1)), 'connect'), 'full');
		assert.equal(stepDetail(stateAfter(untilConfirm.slice(0, 1)), 'find'), 'none');
	});

	test('the raw patch: on request while deciding; never after it was applied', () => {
		assert.equal(showPlanPatch(stateAfter(untilConfirm), false), false);
		assert.equal(showPlanPatch(stateAfter(untilConfirm), true), true);
		assert.equal(showPlanPatch(stateAfter(fixedRun), true), false);
	});

	test('rollout: one line per node up to 20 nodes when the terminal has room, a grid beyond', () => {
		const rollingOut = (rollout: typeof rolloutMidway) => stateAfter([...untilConfirm, ...patchToRollout.slice(0, -1), {type: 'rollout-progress', rollout}]);
		const grid = (rollout: typeof rolloutMidway, rows: number) => {
			const state = rollingOut(rollout);
			return liveLayout(state, advanceStepLog(emptyStepLog, state), defaultMode, {columns: 100, rows, detailsRequested: false}).rolloutGrid;
		};
		assert.equal(grid(rolloutMidway, 50), false);
		assert.equal(grid(largeRollout(20, 5), 50), false);
		assert.equal(grid(largeRollout(21, 5), 50), true);
		assert.equal(grid(largeRollout(12, 5), 20), false, '12 lines fit in 20 rows');
		assert.equal(grid(largeRollout(12, 5), 16), true, 'a short terminal takes the grid sooner');
	});
});

const asking = stateAfter(untilConfirm);
const size = (columns: number, rows: number, detailsRequested = false): ViewSize => ({columns, rows, detailsRequested});

describe('a short terminal: what goes above the question', () => {
	test('a tall terminal keeps the plan beside the question', () => {
		const log = arrangeLog(emptyStepLog, asking, defaultMode, size(100, 70));
		assert.deepEqual(printed(log), ['header', 'connect', 'find', 'detect']);
		const layout = liveLayout(asking, log, defaultMode, size(100, 70));
		assert.equal(layout.planAbove, false);
		assert.ok(layout.rows <= liveBudget(70));
	});

	test('80x24: the plan is printed above, the question and what a yes does stay live, within 23 rows', () => {
		const log = arrangeLog(emptyStepLog, asking, defaultMode, size(80, 24));
		assert.deepEqual(printed(log), ['header', 'connect', 'find', 'detect', 'plan']);
		const plan = log.entries.at(-1)!;
		assert.equal(plan.kind === 'step' && plan.state.steps.plan, 'done', 'printed with its final mark, not a spinner');
		const layout = liveLayout(asking, log, defaultMode, size(80, 24));
		assert.deepEqual([layout.planAbove, layout.effectsAbove, layout.patchAbove], [true, false, false]);
		assert.ok(layout.rows <= 23, `${layout.rows} rows`);
		assert.equal(arrangeLog(log, asking, defaultMode, size(80, 24)), log, 'printed once: the same log again');
	});

	test('d on a short terminal prints the JSON patch above once; the key then has nothing left to show', () => {
		const log = arrangeLog(emptyStepLog, asking, defaultMode, size(80, 24));
		const withPatch = arrangeLog(log, asking, defaultMode, size(80, 24, true));
		assert.deepEqual(printed(withPatch).slice(-2), ['plan', 'plan-patch']);
		assert.equal(liveLayout(asking, withPatch, defaultMode, size(80, 24, true)).patchAbove, true);
		assert.equal(arrangeLog(withPatch, asking, defaultMode, size(80, 24, false)), withPatch);
		assert.equal(arrangeLog(withPatch, asking, defaultMode, size(80, 24, true)), withPatch);
	});

	test('d before the plan went above: printed with it, no second copy', () => {
		const log = arrangeLog(emptyStepLog, asking, defaultMode, size(80, 24, true));
		assert.deepEqual(printed(log).slice(-1), ['plan']);
		assert.equal(log.entries.at(-1)!.kind === 'step' && (log.entries.at(-1) as {patch?: boolean}).patch, true);
		assert.equal(arrangeLog(log, asking, defaultMode, size(80, 24, true)), log);
	});

	test('a terminal 10 rows tall: what a yes does goes above too; the question and its keys stay', () => {
		const log = arrangeLog(emptyStepLog, asking, defaultMode, size(80, 10));
		assert.deepEqual(printed(log).slice(-2), ['plan', 'effects']);
		const layout = liveLayout(asking, log, defaultMode, size(80, 10));
		assert.deepEqual([layout.planAbove, layout.effectsAbove, layout.foldPending], [true, true, true]);
		assert.ok(layout.rows <= 9, `${layout.rows} rows`);
	});

	test('declined: the plan is not printed again; the fix to copy (its JSON patch) is printed once, above the outcome', () => {
		let log = arrangeLog(emptyStepLog, asking, defaultMode, size(80, 24));
		const declined = stateAfter([...untilConfirm, ...afterDecline]);
		log = arrangeLog(log, declined, defaultMode, size(80, 24));
		assert.deepEqual(printed(log), ['header', 'connect', 'find', 'detect', 'plan', 'confirm', 'patch', 'restart', 'rollout', 'verify', 'plan-patch']);
		assert.equal(arrangeLog(log, declined, defaultMode, size(80, 24)), log);
		// Asked for while deciding: already printed, not again.
		let withPatch = arrangeLog(emptyStepLog, asking, defaultMode, size(80, 24, true));
		withPatch = arrangeLog(withPatch, declined, defaultMode, size(80, 24, true));
		assert.equal(printed(withPatch).filter(kind => kind === 'plan-patch').length, 0);
		// A tall terminal printed the plan at the answer, as it always did: no extra entry.
		const tall = arrangeLog(arrangeLog(emptyStepLog, asking, defaultMode, size(100, 70)), declined, defaultMode, size(100, 70));
		assert.deepEqual(printed(tall).slice(-2), ['rollout', 'verify']);
	});
});

/** The states a run goes through, one per event. */
function statesOf(events: DoctorEvent[]): DoctorState[] {
	const states: DoctorState[] = [];
	let state = initialState();
	for (const event of events) states.push((state = doctorReducer(state, event)));
	return states;
}

/** The counted rows of the live area against the rows Ink draws, for each state of `run` (the patch asked for while deciding). */
async function assertCountedAsDrawn(run: DoctorState[], columns: number, rows: number, ending: {quit?: {clusterState: string}; quitArmed?: boolean} = {}): Promise<void> {
	const theme = themeFor(true);
	let log = emptyStepLog;
	for (const [index, state] of run.entries()) {
		for (const detailsRequested of state.current === 'plan' || state.current === 'confirm' ? [false, true] : [false]) {
			const screen = size(columns, rows, detailsRequested);
			log = arrangeLog(log, state, defaultMode, screen, {quit: ending.quit});
			const layout = liveLayout(state, log, defaultMode, screen, {quit: ending.quit});
			const terminal = renderInTerminal(
				<ThemeContext value={theme}>
					<ThemeProvider theme={theme.inkUi}>
						<DoctorView state={state} log={log} size={screen} mode={defaultMode} quit={ending.quit} quitArmed={ending.quitArmed ?? false} />
					</ThemeProvider>
				</ThemeContext>,
				{columns, rows},
			);
			const drawn = terminal.frames[0]!;
			terminal.unmount();
			assert.equal(layout.rows, drawn.height, `state ${index} (${state.current ?? 'end'}), details ${detailsRequested}: counted ${layout.rows}, drawn:\n${drawn.output}`);
			assert.ok(drawn.height <= rows - 1, `state ${index}: ${drawn.height} rows in ${rows}`);
		}
	}
}

/** A Multus role bound to another subject too: the plan is a dedicated ClusterRole and binding, the longest plan. */
function sharedThick() {
	const cluster = brokenThick();
	cluster.bindings[0]!.subjects!.push({kind: 'ServiceAccount', name: 'webapp', namespace: 'default'});
	return cluster;
}

describe('the live area\'s height is counted as Ink draws it', () => {
	const run = statesOf([...untilConfirm, ...patchToRollout, {type: 'rollout-progress', rollout: largeRollout(1000, 400)}, ...rolloutToEnd]);
	for (const [columns, rows] of [
		[100, 70],
		[120, 20],
		[80, 24],
		[60, 14],
		[40, 30],
	] as const) {
		test(`${columns}x${rows}: every state of a run, counted rows = Ink's rows, within the terminal`, async () => {
			await assertCountedAsDrawn(run, columns, rows);
		});
	}

	test('Ctrl-C during the rollout: cancelling, then the cancelled outcome; and a quit by a second Ctrl-C; at 80x24 and 60x14', async () => {
		const cancelling = statesOf([...untilConfirm, ...patchToRollout, {type: 'cancel-requested'}]);
		const cancelled = statesOf([...untilConfirm, ...patchToRollout, {type: 'cancel-requested'}, {type: 'finished', outcome: {verdict: 'cancelled', exitCode: 1, message: 'Cancelled during rollout. ClusterRole multus was patched and the DaemonSet restart was started: the controller finishes the rollout by itself.'}}]);
		const quit = {clusterState: 'ClusterRole multus was patched and the DaemonSet restart was started: the controller finishes the rollout by itself; kubectl -n kube-system rollout status ds/kube-multus-ds shows it.'};
		for (const [columns, rows] of [
			[80, 24],
			[60, 14],
		] as const) {
			// eslint-disable-next-line no-await-in-loop
			await assertCountedAsDrawn(cancelling.slice(-3), columns, rows, {quitArmed: true});
			// eslint-disable-next-line no-await-in-loop
			await assertCountedAsDrawn(cancelled.slice(-3), columns, rows);
			// eslint-disable-next-line no-await-in-loop
			await assertCountedAsDrawn(cancelling.slice(-3).map(state => withStoppedStep(state)), columns, rows, {quit});
		}
	});

	test('the real flow on the in-memory cluster: fixed and a dedicated role at 120x20, declined and --check at 80x24', async () => {
		const runs = [
			[await runFlow(brokenThick()), 120, 20],
			[await runFlow(sharedThick()), 120, 20],
			[await runFlow(brokenThick(), {}, {answer: false}), 80, 24],
			[await runFlow(brokenThick(), {check: true}), 80, 24],
		] as const;
		assert.ok(runs[1][0].state.plan?.dedicated, 'the shared role gives a dedicated plan');
		for (const [flowRun, columns, rows] of runs) {
			// eslint-disable-next-line no-await-in-loop
			await assertCountedAsDrawn(statesOf(flowRun.events), columns, rows);
		}
	});
});
