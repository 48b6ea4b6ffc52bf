/** @jsxRuntime automatic */
/** @jsxImportSource react */
// The fleet's table in a terminal (ink-testing-library), driven by the real fleet over in-memory clusters: rows
// fill in as answers arrive, one question lists every cluster's change, y fixes them all in the same table,
// Ctrl-C stops them all and each row says where its cluster stands.
import assert from 'node:assert/strict';
import {afterEach, describe, test} from 'node:test';
import {cleanup} from 'ink-testing-library';
import {frameOf, keys, renderInk, resize, sendAnswer, sendKeys, waitFor, waitForFrame, linesWiderThan, type InkInstance} from '../helpers/ink.js';
import {doctorOptions} from '../helpers/doctor-fixtures.js';
import {brokenThick, healthyThick, podsListWatch} from '../helpers/fake-multus.js';
import {fleetEnv, unreachable, type FleetMember} from '../helpers/fleet.js';
import {FleetApp} from '../../source/ui/fleet-app.js';
import {runFleet} from '../../source/fleet/fleet.js';
import {questionArmMs} from '../../source/ui/keys.js';
import {rulesCover} from '../../source/multus/rbac.js';
import type {FakeCluster} from '../helpers/fake-cluster.js';
import type {DoctorOptions, FleetOptions} from '../../source/options.js';
import {textWidth} from '../../source/ansi.js';
import {renderInTerminal} from './terminal.js';

afterEach(() => {
	cleanup();
});

function start(members: Record<string, FleetMember>, options: Partial<Omit<DoctorOptions, 'fleet'>> = {}, fleet: Partial<FleetOptions> = {}) {
	const all: DoctorOptions & {fleet: FleetOptions} = {
		...doctorOptions({color: false, timeoutMs: 2000, ...options}),
		fleet: {selection: {all: true}, parallel: 20, confirmEach: false, emitDir: undefined, ...fleet},
	};
	const contexts = Object.keys(members).map(name => ({name, cluster: name, server: `https://${name}.invalid`, user: 'admin'}));
	const exits: number[] = [];
	const instance: InkInstance = renderInk(<FleetApp options={all} flow={io => runFleet(all, contexts, io, fleetEnv(members))} onExit={code => exits.push(code)} />);
	// A terminal tall enough for every row and the question (the test below folds rows on a shorter one).
	resize(instance, 100, 60);
	return {instance, exits};
}

const grantsPods = (cluster: FakeCluster) => rulesCover(cluster.role('multus')?.rules ?? [], podsListWatch);
const rowOf = (frame: string, context: string) => frame.split('\n').find(line => line.startsWith(`${context} `)) ?? '';

describe('the fleet table', () => {
	test('one row per context; one question lists each change; y fixes them in the same table; exit is the most serious', async () => {
		const members = {'edge-1': brokenThick(), healthy: healthyThick(), down: unreachable('down'), 'edge-2': brokenThick()};
		const {instance, exits} = start(members);
		const asking = await waitForFrame(instance, 'Apply these changes to 2 clusters (edge-1, edge-2)? [y/N]');
		assert.match(asking, /^CONTEXT +SERVER +MULTUS +VERDICT +MISSING +OWNER +TOOK +EXIT/m);
		assert.match(rowOf(asking, 'edge-1'), /awaiting answer +pods \[""\]/);
		assert.match(rowOf(asking, 'healthy'), /healthy +– +–/);
		assert.match(rowOf(asking, 'down'), /^down +down\.invalid +unreachable .* 3$/);
		// Each cluster's exact change, in the single run's words.
		assert.match(asking, /edge-1 +https:\/\/edge-1\.invalid\n +1\. patch ClusterRole multus: \+ pods \[""\]: list, watch/);
		assert.match(asking, /edge-2 +https:\/\/edge-2\.invalid\n +1\. patch ClusterRole multus/);
		assert.equal(grantsPods(members['edge-1']), false, 'nothing before the answer');
		await sendAnswer(instance, 'y');
		const end = await waitForFrame(instance, '4 contexts:', 5000);
		assert.match(rowOf(end, 'edge-1'), /fixed .* 0\b/);
		assert.match(rowOf(end, 'edge-2'), /fixed .* 0\b/);
		assert.match(end, /✖ down \(exit 3\): cannot reach the API server/);
		assert.match(end, /4 contexts: 2 fixed, 1 healthy, 1 unreachable\. Exit 3/);
		assert.doesNotMatch(end, /Apply these changes/);
		await waitFor(() => exits.length > 0, 'the exit');
		assert.deepEqual(exits, [3]);
		assert.ok(grantsPods(members['edge-1']) && grantsPods(members['edge-2']));
		assert.deepEqual(linesWiderThan(end, 100), []);
	});

	test('more contexts than the terminal has rows: the live frame stays shorter than the terminal (finished rows fold into one line), the last frame has every row', async () => {
		const members: Record<string, FleetMember> = {};
		for (let index = 1; index <= 28; index++) members[`site-${String(index).padStart(2, '0')}`] = healthyThick();
		members['edge-1'] = brokenThick();
		members['edge-2'] = brokenThick();
		const {instance, exits} = start(members);
		resize(instance, 100, 40);
		const asking = await waitForFrame(instance, 'Apply these changes to 2 clusters (edge-1, edge-2)? [y/N]');
		assert.ok(asking.split('\n').length < 40, `the live frame is ${asking.split('\n').length} lines on a terminal of 40:\n${asking}`);
		assert.match(rowOf(asking, 'edge-1'), /awaiting answer/);
		assert.match(rowOf(asking, 'edge-2'), /awaiting answer/);
		assert.match(asking, /… \d+ more finished contexts: the whole table when the run ends/);
		const folded = Number(/… (\d+) more finished/.exec(asking)![1]);
		assert.equal(folded + asking.split('\n').filter(line => /^(site-\d+|edge-\d)\s+(?!https:)\S/.test(line)).length, 30, 'every context is a row or counted in the fold');
		await sendAnswer(instance, 'y');
		const end = await waitForFrame(instance, '30 contexts:', 8000);
		for (const name of Object.keys(members)) assert.ok(rowOf(end, name), `${name} has its row in the last frame`);
		assert.doesNotMatch(end, /more finished contexts/);
		await waitFor(() => exits.length > 0, 'the exit');
		assert.deepEqual(exits, [0]);
	});

	for (const columns of [40, 36]) {
		test(`a ${columns}-column terminal: each verdict and exit code whole, wide characters in their columns, the question's lines wrapped under their own text, no line wider than the terminal`, async () => {
			const members = {'生产集群-北京': brokenThick(), healthy: healthyThick()};
			const {instance} = start(members);
			resize(instance, columns, 60);
			const asking = await waitForFrame(instance, frame => frame.includes('[y/N]') && rowOf(frame, 'healthy').includes(' 0'));
			assert.match(asking, /^CONTEXT +VERDICT +EXIT$/m);
			assert.match(rowOf(asking, '生产集群-北京'), /^生产集群-北京 +awaiting answer *$/);
			assert.match(rowOf(asking, 'healthy'), /^healthy +healthy +0$/);
			const verdictAt = (line: string) => textWidth(line.slice(0, line.search(/VERDICT|awaiting|healthy +0/)));
			assert.equal(verdictAt(rowOf(asking, '生产集群-北京')), verdictAt(asking.split('\n').find(line => line.startsWith('CONTEXT'))!));
			assert.equal(verdictAt(rowOf(asking, 'healthy')), verdictAt(asking.split('\n').find(line => line.startsWith('CONTEXT'))!));
			// "  1. patch ClusterRole multus: + pods" goes on under "patch", "    granted to: ..." under "granted".
			assert.match(asking, /\n {2}1\. patch ClusterRole multus: \+(?: pods)?\n {5}\S/);
			assert.match(asking, /\n {4}granted to: ServiceAccount\n {4}kube-system:multus/);
			assert.deepEqual(asking.split('\n').filter(line => textWidth(line) > columns), []);
		});
	}

	test('the live frame stays shorter than the terminal while the question waits (its rows counted as they wrap)', async () => {
		const members: Record<string, FleetMember> = {};
		for (let index = 1; index <= 20; index++) members[`site-${String(index).padStart(2, '0')}`] = healthyThick();
		members['edge-1'] = brokenThick();
		const all: DoctorOptions & {fleet: FleetOptions} = {...doctorOptions({color: false, timeoutMs: 2000}), fleet: {selection: {all: true}, parallel: 20, confirmEach: false, emitDir: undefined}};
		const contexts = Object.keys(members).map(name => ({name, cluster: name, server: `https://${name}.invalid`, user: 'admin'}));
		const run = renderInTerminal(<FleetApp options={all} flow={io => runFleet(all, contexts, io, fleetEnv(members))} />, {columns: 40, rows: 40});
		try {
			await run.waitFor('[y/N]', 8000);
			await run.waitFor(text => /more finished contexts/.test(text), 8000);
			const tall = run.frames.filter(frame => frame.height >= frame.rows);
			assert.deepEqual(tall.map(frame => frame.height), [], `frames as tall as the terminal:\n${tall.at(-1)?.output ?? ''}`);
			assert.equal(run.screen.clears, 0, 'no frame cleared the screen to redraw itself');
		} finally {
			run.unmount();
		}
	});

	test('n declines every listed change: nothing written, exit 1', async () => {
		const members = {a: brokenThick(), b: brokenThick()};
		const {instance, exits} = start(members);
		await waitForFrame(instance, 'Apply these changes to 2 clusters');
		await sendAnswer(instance, 'n');
		const end = await waitForFrame(instance, '2 contexts:');
		assert.match(end, /2 contexts: 2 declined\. Exit 1/);
		await waitFor(() => exits.length > 0, 'the exit');
		assert.deepEqual(exits, [1]);
		assert.equal(grantsPods(members.a) || grantsPods(members.b), false);
	});

	test('--confirm-each: a question per cluster, naming it alone', async () => {
		const members = {a: brokenThick(), b: brokenThick()};
		const {instance} = start(members, {}, {confirmEach: true});
		await waitForFrame(instance, frame => /Apply this change to context (a|b)\?/.test(frame));
		await sendAnswer(instance, 'n');
		await waitForFrame(instance, frame => /Apply this change to context (a|b)\?/.test(frame) && /declined/.test(frame));
		await sendAnswer(instance, 'y');
		const end = await waitForFrame(instance, '2 contexts:', 5000);
		assert.match(end, /2 contexts: 1 declined, 1 fixed|2 contexts: 1 fixed, 1 declined/);
		assert.equal(Number(grantsPods(members.a)) + Number(grantsPods(members.b)), 1);
	});

	test('--confirm-each: a double y (or a key held) fixes the first cluster only; the next question takes no key before it has been on screen', async () => {
		const members = {a: brokenThick(), b: brokenThick()};
		const {instance, exits} = start(members, {}, {confirmEach: true});
		const asking = await waitForFrame(instance, frame => /Apply this change to context (a|b)\?/.test(frame));
		const first = /Apply this change to context (a|b)\?/.exec(asking)![1] as 'a' | 'b';
		const second = first === 'a' ? 'b' : 'a';
		await sendAnswer(instance, 'y');
		// The same key again 5 ms later: the next question is asked the moment the first is answered.
		await new Promise(resolve => {
			setTimeout(resolve, 5);
		});
		instance.stdin.write('y');
		await waitForFrame(instance, `Apply this change to context ${second}?`, 5000);
		await new Promise(resolve => {
			setTimeout(resolve, questionArmMs + 150);
		});
		assert.equal(grantsPods(members[second]), false, `nothing written to ${second} before its question was on screen`);
		assert.match(frameOf(instance), new RegExp(`Apply this change to context ${second}\\?`), 'still asking');
		await sendAnswer(instance, 'n');
		const end = await waitForFrame(instance, '2 contexts:', 5000);
		assert.match(end, /2 contexts: 1 declined, 1 fixed|2 contexts: 1 fixed, 1 declined/);
		assert.equal(grantsPods(members[first]), true);
		assert.equal(grantsPods(members[second]), false);
		await waitFor(() => exits.length > 0, 'the exit');
	});

	test('Ctrl-C at the question: every cluster cancelled, nothing written, each row says so', async () => {
		const members = {a: brokenThick(), b: brokenThick()};
		const {instance, exits} = start(members);
		await waitForFrame(instance, 'Apply these changes to 2 clusters');
		await sendKeys(instance, keys.ctrlC);
		const end = await waitForFrame(instance, '2 contexts:');
		assert.match(rowOf(end, 'a'), /cancelled/);
		assert.match(rowOf(end, 'b'), /cancelled/);
		assert.match(end, /Cancelled during confirm\. Nothing/);
		await waitFor(() => exits.length > 0, 'the exit');
		assert.deepEqual(exits, [1]);
		assert.equal(grantsPods(members.a) || grantsPods(members.b), false);
	});
});
