import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {fleetReducer, initialFleetState, timesAt, workedMs, type FleetEvent} from '../../../source/fleet/machine.js';
import {fleetRow, fleetWaitWords} from '../../../source/fleet/present.js';
import {foldedNames, say} from '../../../source/doctor/present.js';
import {fleetPlainPrinter} from '../../../source/fleet/plain.js';
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
		assert.equal(state.contexts['edge']!.times.answer, 7000);
	});
});

describe('a context\'s time is its own work: its waits for a slot and for its turn are said apart', () => {
	const fixed: FleetEvent = {type: 'context-event', context: 'edge', event: {type: 'finished', outcome: {verdict: 'fixed', exitCode: 0, message: 'Fixed'}}, at: 0};
	const finishedAt = (at: number): FleetEvent[] => [{...fixed, at} as FleetEvent, {type: 'fleet-finished', exitCode: 0, at}];

	test('--parallel: queued 2 s before its start, asked for 5 s, then 1.5 s for a slot again: 3.5 s of work, each wait apart, all adding up to the wall clock', () => {
		const events: FleetEvent[] = [
			{type: 'fleet-started', contexts: [{name: 'edge', server: 'https://edge.invalid'}], at: 0},
			{type: 'context-started', context: 'edge', at: 2000},
			{type: 'context-event', context: 'edge', event: {type: 'confirm-requested'}, at: 3000},
			{type: 'context-queued', context: 'edge', at: 8000},
			{type: 'context-started', context: 'edge', at: 9500},
			{type: 'context-event', context: 'edge', event: {type: 'confirm-answered', yes: true}, at: 9500},
			...finishedAt(12_000),
		];
		const queuedAgain = run(events.slice(0, 4)).contexts['edge']!;
		assert.equal(fleetRow(queuedAgain, 9000).cells.verdict, 'queued', 'answered, it waits for a slot again');
		assert.equal(workedMs(queuedAgain, 9000), 1000, 'and its clock stands while it does');
		const done = run(events);
		assert.deepEqual(timesAt(done.contexts['edge']!, 99_000), {work: 3500, slot: 3500, answer: 5000, turn: 0});
		assert.equal(fleetRow(done.contexts['edge']!, 99_000).cells.took, '3.5s');
		const report = fleetReport(done).contexts[0]!;
		assert.deepEqual([report.seconds, report.answerWaitSeconds, report.slotWaitSeconds, report.turnWaitSeconds], [3.5, 5, 3.5, 0]);
		assert.equal(report.seconds! + report.answerWaitSeconds + report.slotWaitSeconds + report.turnWaitSeconds, 12, 'from the fleet\'s start to its end');
	});

	test('waiting 5 s for its turn (two contexts before it, then one): 2.5 s of work; the row names every one it still waits for', () => {
		const events: FleetEvent[] = [
			{type: 'fleet-started', contexts: ['a', 'b', 'edge'].map(name => ({name, server: `https://${name}.invalid`})), at: 0},
			{type: 'context-started', context: 'edge', at: 0},
			{type: 'context-waiting', context: 'edge', for: ['a', 'b'], at: 1000},
			{type: 'context-waiting', context: 'edge', for: ['b'], at: 3000},
			{type: 'context-queued', context: 'edge', at: 6000},
			{type: 'context-started', context: 'edge', at: 6500},
			...finishedAt(8000),
		];
		const waiting = run(events.slice(0, 3)).contexts['edge']!;
		assert.equal(fleetRow(waiting, 2000).cells.verdict, 'waits for a and b');
		assert.equal(fleetRow(waiting, 2000).cells.took, '1s', 'the clock stands while it waits for its turn');
		assert.equal(fleetRow(run(events.slice(0, 4)).contexts['edge']!, 4000).cells.verdict, 'waits for b', 'a is no longer waited for');
		const done = run(events).contexts['edge']!;
		assert.deepEqual(timesAt(done, 99_000), {work: 2500, slot: 500, answer: 0, turn: 5000});
		assert.equal(done.waitingFor, undefined);
		const report = fleetReport(run(events)).contexts[2]!;
		assert.deepEqual([report.seconds, report.slotWaitSeconds, report.turnWaitSeconds], [2.5, 0.5, 5]);
		assert.equal(fleetWaitWords(timesAt(done, 99_000)), 'waited 500ms for a slot, 5s for its turn');
		let printed = '';
		const printer = fleetPlainPrinter({color: false, parallel: 1}, text => (printed += text));
		for (const event of events) printer(event);
		assert.match(printed, /^\[edge\] fixed \(exit 0, 2\.5s; waited 500ms for a slot, 5s for its turn\) Fixed$/m, 'without a terminal, its line says its own time, then its waits');
		assert.equal(fleetWaitWords({work: 900, slot: 40, answer: 7000, turn: 0}), '', 'no wait worth saying: the answer\'s is not the fleet\'s');
	});

	test('a row waiting for many contexts names two and folds the rest', () => {
		const state = run([
			{type: 'fleet-started', contexts: ['a', 'b', 'c', 'd', 'e', 'edge'].map(name => ({name, server: `https://${name}.invalid`})), at: 0},
			{type: 'context-started', context: 'edge', at: 0},
			{type: 'context-waiting', context: 'edge', for: ['a', 'b', 'c', 'd', 'e'], at: 10},
		]);
		assert.equal(fleetRow(state.contexts['edge']!, 20).cells.verdict, 'waits for a, b and 3 more');
	});

	test('names folded: one, two, three in full; more past the number shown', () => {
		assert.deepEqual(
			[[], ['a'], ['a', 'b'], ['a', 'b', 'c'], ['a', 'b', 'c', 'd']].map(names => foldedNames(names)),
			['', 'a', 'a and b', 'a, b and c', 'a, b and 2 more'],
		);
		assert.equal(foldedNames(['a', 'b', 'c', 'd', 'e', 'f', 'g'], 5), 'a, b, c, d, e and 2 more');
	});

	test('the waiting note names every context it waits for, whether known to reach the same Multus or not found yet', () => {
		assert.equal(say.waitingForTurn({same: ['a'], unknown: []}), 'Context a reaches the same Multus and comes first: waiting for it (one change, not two).');
		assert.equal(say.waitingForTurn({same: [], unknown: ['a']}), 'Waiting for context a to find its Multus: it comes first, and a Multus two contexts reach is changed once, through the first.');
		assert.equal(say.waitingForTurn({same: ['a', 'b'], unknown: []}), 'Contexts a and b reach the same Multus and come first: waiting for them (one change, not two).');
		assert.equal(
			say.waitingForTurn({same: ['a'], unknown: ['b', 'c', 'd', 'e', 'f', 'g', 'h']}),
			'Context a reaches the same Multus and comes first: waiting for it (one change, not two). Also waiting for contexts b, c, d, e, f and 2 more to find their Multus (they come first).',
		);
	});
});
