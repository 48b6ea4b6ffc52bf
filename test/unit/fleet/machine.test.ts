import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {fleetReducer, initialFleetState, workedMs, type FleetEvent} from '../../../source/fleet/machine.js';
import {fleetRow} from '../../../source/fleet/present.js';
import {fleetReport} from '../../../source/fleet/report.js';

const run = (events: FleetEvent[]) => events.reduce(fleetReducer, initialFleetState());
const start: FleetEvent[] = [
	{type: 'fleet-started', contexts: [{name: 'edge', server: 'https://edge.invalid'}], at: 0},
	{type: 'context-started', context: 'edge', at: 0},
];

describe('a context\'s time', () => {
	test('the time it waits for the user\'s answer is not the cluster\'s: TOOK stops at the question and goes on after the answer', () => {
		const asking = run([...start, {type: 'context-event', context: 'edge', event: {type: 'confirm-requested'}, at: 1000}]);
		const entry = asking.contexts['edge']!;
		assert.equal(workedMs(entry, 5000), 1000, 'while the question is open the clock stands');
		assert.equal(fleetRow(entry, 60_000).cells.took, '1s');
		const done = run([
			...start,
			{type: 'context-event', context: 'edge', event: {type: 'confirm-requested'}, at: 1000},
			{type: 'context-event', context: 'edge', event: {type: 'confirm-answered', yes: true}, at: 6000},
			{type: 'context-event', context: 'edge', event: {type: 'finished', outcome: {verdict: 'fixed', exitCode: 0, message: 'Fixed'}}, at: 8000},
			{type: 'fleet-finished', exitCode: 0, at: 8000},
		]);
		assert.equal(workedMs(done.contexts['edge']!, 99_000), 3000);
		const report = fleetReport(done);
		assert.equal(report.contexts[0]!.seconds, 3);
		assert.equal(report.contexts[0]!.answerWaitSeconds, 5);
		assert.equal(report.summary.seconds, 8, 'the fleet\'s own time is the wall clock');
	});

	test('a flow that ends while it waits (Ctrl-C at the question) counts the wait as waited', () => {
		const state = run([
			...start,
			{type: 'context-event', context: 'edge', event: {type: 'confirm-requested'}, at: 2000},
			{type: 'context-event', context: 'edge', event: {type: 'finished', outcome: {verdict: 'cancelled', exitCode: 1, message: 'Cancelled'}}, at: 9000},
		]);
		assert.equal(workedMs(state.contexts['edge']!, 99_000), 2000);
		assert.equal(state.contexts['edge']!.waitedMs, 7000);
	});
});
