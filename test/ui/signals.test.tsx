/** @jsxRuntime automatic */
/** @jsxImportSource react */
// SIGTERM and SIGHUP in the terminal view (the doctor's and the fleet's): the same interrupt as Ctrl-C, named.
// The first stops at the next safe point and the screen says where the cluster stands; a second quits with 130.
// The signals come from an emitter standing in for the process (ui/run.tsx and ui/run-fleet.tsx give `process`).
import assert from 'node:assert/strict';
import {EventEmitter} from 'node:events';
import {afterEach, describe, test} from 'node:test';
import {cleanup} from 'ink-testing-library';
import {renderInk, resize, sendAnswer, sendKeys, waitFor, waitForFrame} from '../helpers/ink.js';
import {doctorOptions, scriptedFlow} from '../helpers/doctor-fixtures.js';
import {brokenThick} from '../helpers/fake-multus.js';
import {fleetEnv} from '../helpers/fleet.js';
import {App} from '../../source/ui/app.js';
import {FleetApp} from '../../source/ui/fleet-app.js';
import {runFleet} from '../../source/fleet/fleet.js';
import {stopCauseOf, stopSignals, type SignalSource} from '../../source/signals.js';
import type {DoctorOptions, FleetOptions} from '../../source/options.js';
import type {FleetIO} from '../../source/fleet/fleet.js';

afterEach(() => {
	cleanup();
});

const question = 'Apply this change to ClusterRole multus? [y/N]';

/** A stand-in for the process: what the app listens on, and a way to send it a signal. */
function signalSource() {
	const emitter = new EventEmitter();
	return {
		source: emitter as unknown as SignalSource,
		send: (signal: string) => emitter.emit(signal, signal),
		listening: () => stopSignals.reduce((sum, signal) => sum + emitter.listenerCount(signal), 0),
	};
}

function startDoctor(flowOptions: Parameters<typeof scriptedFlow>[0]) {
	const {flow, record} = scriptedFlow(flowOptions);
	const signals = signalSource();
	const exits: number[] = [];
	const instance = renderInk(<App options={doctorOptions()} flow={flow} signals={signals.source} onExit={code => exits.push(code)} />);
	resize(instance, 100, 70);
	return {instance, record, signals, exits};
}

describe('a stop signal in the doctor', () => {
	test('SIGTERM during the rollout: stops it at a safe point, named, and says what the cluster holds', async () => {
		const {instance, record, signals, exits} = startDoctor({holdRollout: true});
		await waitForFrame(instance, question);
		await sendAnswer(instance, 'y');
		await waitForFrame(instance, '1/3 updated');
		assert.ok(signals.listening() > 0, 'the app listens for the stop signals');
		signals.send('SIGTERM');
		const frame = await waitForFrame(instance, 'Cancelled during rollout.');
		assert.deepEqual(stopCauseOf(record.signal!), {signal: 'SIGTERM', fromTerminal: false}, 'the flow is told which signal stopped it');
		assert.match(frame, /✖ Cancelled during rollout\. ClusterRole multus was patched and the DaemonSet restart was started/);
		assert.match(frame, /^✖ Rollout/m, 'the stopped rollout is not left running');
		await waitFor(() => exits.length > 0, 'the exit');
		assert.deepEqual(exits, [1]);
		assert.equal(signals.listening(), 0, 'the handlers go with the app');
	});

	test('SIGHUP in a step that never stops: the cancelling line names it; a second signal quits with 130', async () => {
		const {instance, record, signals, exits} = startDoctor({ignoreAbort: true});
		await waitForFrame(instance, question);
		await sendAnswer(instance, 'y');
		await waitForFrame(instance, '1/3 updated');
		signals.send('SIGHUP');
		await waitForFrame(instance, 'cancelling (SIGHUP): stopping at the next safe point (a second signal or Ctrl-C twice to quit now)');
		assert.equal(record.signal?.aborted, true);
		assert.deepEqual(exits, [], 'the first signal waits for the step');
		signals.send('SIGTERM');
		await waitFor(() => exits.length > 0, 'the exit');
		assert.deepEqual(exits, [130]);
		const frame = await waitForFrame(instance, 'quit without waiting');
		assert.match(frame, /ClusterRole multus was patched and the DaemonSet restart was started/);
	});

	test('SIGTERM at the question: released as no, nothing changed', async () => {
		const {instance, record, signals, exits} = startDoctor({});
		await waitForFrame(instance, question);
		signals.send('SIGTERM');
		const frame = await waitForFrame(instance, 'Cancelled during confirm.');
		assert.deepEqual(record.answers, [false]);
		assert.match(frame, /Nothing in the cluster was changed\./);
		await waitFor(() => exits.length > 0, 'the exit');
		assert.deepEqual(exits, [1]);
	});
});

describe('a stop signal in the fleet', () => {
	test('SIGTERM at the question: every cluster cancelled, named, nothing written', async () => {
		const members = {a: brokenThick(), b: brokenThick()};
		const options: DoctorOptions & {fleet: FleetOptions} = {
			...doctorOptions({color: false, timeoutMs: 2000}),
			fleet: {selection: {all: true}, parallel: 20, confirmEach: false, emitDir: undefined},
		};
		const contexts = Object.keys(members).map(name => ({name, cluster: name, server: `https://${name}.invalid`, user: 'admin'}));
		const signals = signalSource();
		const exits: number[] = [];
		let fleetSignal: AbortSignal | undefined;
		const flow = async (io: FleetIO) => {
			fleetSignal = io.signal;
			return runFleet(options, contexts, io, fleetEnv(members));
		};
		const instance = renderInk(<FleetApp options={options} flow={flow} signals={signals.source} onExit={code => exits.push(code)} />);
		resize(instance, 100, 60);
		await waitForFrame(instance, 'Apply these changes to 2 clusters');
		signals.send('SIGTERM');
		const end = await waitForFrame(instance, '2 contexts:');
		assert.deepEqual(stopCauseOf(fleetSignal!), {signal: 'SIGTERM', fromTerminal: false});
		assert.match(end, /Cancelled during confirm\. Nothing/);
		await waitFor(() => exits.length > 0, 'the exit');
		assert.deepEqual(exits, [1]);
		assert.equal(signals.listening(), 0, 'the handlers go with the app');
	});

	test('SIGHUP while the clusters roll out: each stops at a safe point and its row says what its cluster holds', async () => {
		const members = {a: brokenThick(), b: brokenThick()};
		// The rollouts never finish by themselves: only the signal ends them.
		for (const cluster of Object.values(members)) cluster.controller = 'none';
		const options: DoctorOptions & {fleet: FleetOptions} = {
			...doctorOptions({color: false, timeoutMs: 20_000, yes: true}),
			fleet: {selection: {all: true}, parallel: 20, confirmEach: false, emitDir: undefined},
		};
		const contexts = Object.keys(members).map(name => ({name, cluster: name, server: `https://${name}.invalid`, user: 'admin'}));
		const signals = signalSource();
		const exits: number[] = [];
		let fleetSignal: AbortSignal | undefined;
		const flow = async (io: FleetIO) => {
			fleetSignal = io.signal;
			return runFleet(options, contexts, io, fleetEnv(members));
		};
		const instance = renderInk(<FleetApp options={options} flow={flow} signals={signals.source} onExit={code => exits.push(code)} />);
		resize(instance, 100, 60);
		await waitForFrame(instance, frame => /^a .*rollout/m.test(frame) && /^b .*rollout/m.test(frame), 5000);
		signals.send('SIGHUP');
		const end = await waitForFrame(instance, '2 contexts:', 5000);
		assert.deepEqual(stopCauseOf(fleetSignal!), {signal: 'SIGHUP', fromTerminal: false});
		assert.match(end, /✖ a \(exit 1\): Cancelled during rollout\. ClusterRole multus was patched/);
		assert.match(end, /✖ 2 contexts: 2 cancelled\. Exit 1/);
		await waitFor(() => exits.length > 0, 'the exit');
		assert.deepEqual(exits, [1]);
	});
});
