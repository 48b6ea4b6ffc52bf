import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {fixedRun, largeRollout, rolloutMidway, stateAfter, untilConfirm, patchToRollout} from '../helpers/doctor-fixtures.js';
import {doctorReducer, initialState, type DoctorEvent} from '../../source/doctor/machine.js';
import {advanceStepLog, emptyStepLog, rolloutUsesGrid, showPlanPatch, stepDetail, type LogEntry, type StepLog} from '../../source/ui/layout.js';

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

const printed = (log: StepLog) => log.entries.map((entry: LogEntry) => (entry.kind === 'header' ? 'header' : entry.step));

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
		assert.equal(rolloutUsesGrid(rolloutMidway.progress, 50), false);
		assert.equal(rolloutUsesGrid(largeRollout(20, 5).progress, 50), false);
		assert.equal(rolloutUsesGrid(largeRollout(21, 5).progress, 50), true);
		assert.equal(rolloutUsesGrid(largeRollout(12, 5).progress, 24), true, 'a short terminal takes the grid sooner');
	});
});
