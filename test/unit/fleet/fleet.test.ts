// The fleet against in-memory clusters, one per context: every row right, a context's failure never the run's
// end, the bound kept, one question for every change (or one per cluster), Ctrl-C everywhere, the exit code folded.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {ExitCode} from '../../../source/exit-codes.js';
import {foldExitCodes, exitCodeOrder} from '../../../source/fleet/exit-code.js';
import {fleetRow, fleetRows} from '../../../source/fleet/present.js';
import {MultusError} from '../../../source/errors.js';
import {fleetReport} from '../../../source/fleet/report.js';
import {fleetReducer, initialFleetState} from '../../../source/fleet/machine.js';
import {FakeCluster} from '../../helpers/fake-cluster.js';
import {brokenThick, healthyThick, podsListWatch} from '../../helpers/fake-multus.js';
import {runFleetOn, unreachable, type FleetRun} from '../../helpers/fleet.js';
import {rulesCover} from '../../../source/multus/rbac.js';
import {writeEmitted} from '../../../source/fleet/run.js';
import {doctorOptions} from '../../helpers/doctor-fixtures.js';
import {mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import path from 'node:path';

const grantsPods = (cluster: FakeCluster) => rulesCover(cluster.role('multus')?.rules ?? [], podsListWatch);
const patched = (cluster: FakeCluster) => cluster.callsOf('patchClusterRole').filter(args => args[2] === false).length;
const rowOf = (run: FleetRun, name: string) => fleetRow(run.state.contexts[name]!, run.state.finishedAt!).cells;

/** A broken cluster whose caller may read everything but patch nothing. */
function readOnly(): FakeCluster {
	const cluster = brokenThick();
	cluster.selfDenied.push({verb: 'patch'});
	return cluster;
}

describe('fleet: every context a row, none the end of the run', () => {
	test('--check: broken, healthy, unreachable, no Multus, read-only: each row says what it is, exit 3', async () => {
		const members = {broken: brokenThick(), healthy: healthyThick(), down: unreachable('down'), empty: new FakeCluster(), readonly: readOnly()};
		const run = await runFleetOn(members, {check: true});
		const verdicts = Object.fromEntries(Object.keys(members).map(name => [name, [rowOf(run, name).verdict, run.outcomes[name]!.exitCode]]));
		assert.deepEqual(verdicts, {broken: ['broken', 1], healthy: ['healthy', 0], down: ['unreachable', 3], empty: ['no Multus', 1], readonly: ['broken', 1]});
		assert.equal(run.exitCode, ExitCode.Unreachable);
		assert.equal(rowOf(run, 'broken').missing, 'pods [""]: list, watch');
		assert.equal(rowOf(run, 'healthy').missing, '–');
		assert.equal(rowOf(run, 'broken').multus, 'kube-system/kube-multus-ds thick snapshot-thick');
		assert.match(rowOf(run, 'down').reason, /cannot reach the API server at https:\/\/down\.invalid/);
		assert.equal(rowOf(run, 'down').server, 'down.invalid', 'the server comes from the kubeconfig when none answered');
		assert.match(rowOf(run, 'empty').reason, /no Multus DaemonSet found/);
		for (const cluster of Object.values(members)) assert.equal(patched(cluster), 0, '--check writes nothing');
	});

	test('--yes without a terminal: fixes what may be fixed, proves each; the read-only one is refused (exit 4)', async () => {
		const members = {a: brokenThick(), b: brokenThick(), healthy: healthyThick(), readonly: readOnly()};
		const run = await runFleetOn(members, {yes: true});
		assert.equal(run.outcomes['a']!.verdict, 'fixed', run.outcomes['a']!.message);
		assert.equal(run.outcomes['b']!.verdict, 'fixed');
		assert.equal(run.outcomes['healthy']!.verdict, 'healthy');
		assert.equal(run.outcomes['readonly']!.exitCode, ExitCode.Forbidden);
		assert.equal(rowOf(run, 'readonly').verdict, 'forbidden');
		assert.ok(grantsPods(members.a) && grantsPods(members.b));
		assert.equal(grantsPods(members.readonly), false);
		assert.equal(patched(members.readonly), 0);
		assert.equal(run.state.contexts['a']!.doctor.verification?.passed, true, 'proven');
		assert.equal(run.exitCode, ExitCode.Forbidden);
	});

	test('without a terminal and without --yes nothing changes: every broken cluster is declined', async () => {
		const members = {a: brokenThick(), b: brokenThick()};
		const run = await runFleetOn(members);
		assert.deepEqual(Object.values(run.outcomes).map(outcome => outcome.verdict), ['declined', 'declined']);
		assert.equal(patched(members.a) + patched(members.b), 0);
		assert.equal(run.exitCode, ExitCode.ProblemFound);
	});

	test('a context whose connection throws something unexpected is a row; the others finish', async () => {
		const members = {bug: new Error('kubeconfig exploded'), a: brokenThick(), healthy: healthyThick()};
		const run = await runFleetOn(members, {yes: true});
		assert.equal(run.outcomes['bug']!.verdict, 'failed');
		assert.match(rowOf(run, 'bug').reason, /kubeconfig exploded/);
		assert.equal(run.outcomes['a']!.verdict, 'fixed');
		assert.equal(run.outcomes['healthy']!.verdict, 'healthy');
	});

	test('a conflict in one cluster re-plans that cluster alone and asks again about it alone', async () => {
		const conflicted = brokenThick();
		conflicted.fault('patchClusterRole', {before: c => c.writeRole('multus', () => {})}, {matches: args => args[2] === false});
		const members = {conflicted, calm: brokenThick()};
		const run = await runFleetOn(members, {}, {interactive: true, answer: true});
		assert.deepEqual(run.questions, [['conflicted', 'calm'], ['conflicted']]);
		assert.equal(run.outcomes['conflicted']!.verdict, 'fixed', run.outcomes['conflicted']!.message);
		assert.equal(run.outcomes['calm']!.verdict, 'fixed');
	});
});

describe('fleet: consent', () => {
	test('one question lists every cluster with a change, asked once the others have finished; yes fixes them all', async () => {
		const members = {a: brokenThick(), healthy: healthyThick(), b: brokenThick(), down: unreachable('down')};
		const run = await runFleetOn(members, {}, {interactive: true, answer: true});
		assert.deepEqual(run.questions, [['a', 'b']]);
		const asked = run.events.findIndex(event => event.type === 'question');
		const finishedBefore = run.events.slice(0, asked).flatMap(event => (event.type === 'context-event' && event.event.type === 'finished' ? [event.context] : []));
		assert.deepEqual(finishedBefore.sort(), ['down', 'healthy']);
		assert.ok(grantsPods(members.a) && grantsPods(members.b));
		assert.equal(run.exitCode, ExitCode.Unreachable);
	});

	test('no to the one question changes nothing anywhere', async () => {
		const members = {a: brokenThick(), b: brokenThick()};
		const run = await runFleetOn(members, {}, {interactive: true, answer: false});
		assert.deepEqual(run.questions, [['a', 'b']]);
		assert.deepEqual(Object.values(run.outcomes).map(outcome => outcome.verdict), ['declined', 'declined']);
		assert.equal(patched(members.a) + patched(members.b), 0);
	});

	test('--confirm-each asks per cluster; each answer holds for its cluster alone', async () => {
		const members = {a: brokenThick(), b: brokenThick()};
		const run = await runFleetOn(members, {fleet: {confirmEach: true}}, {interactive: true, answer: names => names[0] === 'b'});
		assert.deepEqual(run.questions.flat().sort(), ['a', 'b']);
		assert.ok(run.questions.every(names => names.length === 1));
		assert.equal(run.outcomes['a']!.verdict, 'declined');
		assert.equal(run.outcomes['b']!.verdict, 'fixed');
		assert.equal(patched(members.a), 0);
	});

	test('a cluster waiting for the answer gives its slot back: with --parallel 1 every cluster still reaches the question', async () => {
		const members = {a: brokenThick(), b: brokenThick(), c: brokenThick()};
		const run = await runFleetOn(members, {fleet: {parallel: 1}}, {interactive: true, answer: true});
		assert.deepEqual(run.questions, [['a', 'b', 'c']]);
		assert.equal(run.mostAtOnce, 1);
		assert.deepEqual(Object.values(run.outcomes).map(outcome => outcome.verdict), ['fixed', 'fixed', 'fixed']);
	});
});

describe('fleet: one Multus reached through two contexts (the same DaemonSet uid) is changed once', () => {
	const restarted = (cluster: FakeCluster) => cluster.callsOf('restartDaemonSet').filter(args => args[3] === false).length;
	/** The first context of the kubeconfig's order changes the cluster; the later one takes its outcome. */
	const roles = (_run: FleetRun, one: string, two: string) => [one, two] as [string, string];
	const waitedNote = (run: FleetRun, name: string) =>
		run.events.some(event => event.type === 'context-event' && event.context === name && event.event.type === 'note' && /^(Context a reaches the same Multus and comes first: waiting for it \(one change, not two\)|Waiting for context a to find its Multus: .*)\.$/.test(event.event.note));

	test('--yes without a terminal: one patch, one restart; the second context says it was changed through the first, with its outcome', async () => {
		const shared = brokenThick();
		const other = brokenThick();
		const run = await runFleetOn({a: shared, alias: shared, other}, {yes: true});
		assert.deepEqual([patched(shared), restarted(shared)], [1, 1], 'the shared cluster is patched and restarted once');
		assert.deepEqual([patched(other), restarted(other)], [1, 1]);
		const [fixer, follower] = roles(run, 'a', 'alias');
		assert.equal(run.outcomes[fixer]!.verdict, 'fixed', run.outcomes[fixer]!.message);
		assert.deepEqual([run.outcomes[follower]!.verdict, run.outcomes[follower]!.exitCode, run.outcomes[follower]!.through], ['fixed', 0, fixer]);
		assert.match(run.outcomes[follower]!.message, new RegExp(`^Context ${fixer} reaches the same Multus \\(DaemonSet kube-system/kube-multus-ds, uid uid-kube-multus-ds-\\d+\\), and its outcome is this one's \\(one change, not two\\): Fixed: `));
		assert.ok(waitedNote(run, follower), 'the follower said why it waited');
		const waited = run.events.findIndex(event => event.type === 'context-waiting' && event.context === follower && event.for.join() === fixer);
		assert.ok(waited >= 0, 'its row says whom it waits for');
		const during = run.events.slice(0, waited + 1).reduce(fleetReducer, initialFleetState());
		assert.equal(fleetRow(during.contexts[follower]!, 0).cells.verdict, `waits for ${fixer}`);
		assert.ok(run.events.slice(waited).some(event => event.type === 'context-queued' && event.context === follower), 'its turn came: it waits for a slot again');
		assert.equal(run.state.contexts[follower]!.doctor.plan, undefined, 'the follower planned nothing and wrote nothing');
		assert.ok(run.state.contexts[follower]!.doctor.diagnosis, 'it diagnosed on its own');
		assert.equal(fleetReport(run.state).contexts.find(context => context.context === follower)!.through, fixer);
		assert.equal(fleetReport(run.state).contexts.find(context => context.context === fixer)!.through, null);
		assert.equal(run.outcomes['other']!.through, undefined, 'another cluster is its own');
		assert.equal(run.exitCode, ExitCode.Ok);
	});

	test('one question: asked about the cluster once, through one context; yes changes it once', async () => {
		const shared = brokenThick();
		const other = brokenThick();
		const run = await runFleetOn({a: shared, alias: shared, other}, {}, {interactive: true, answer: true});
		const [fixer, follower] = roles(run, 'a', 'alias');
		assert.deepEqual(run.questions, [[fixer, 'other']], 'the follower is not in the question: it waits for the answer about its cluster');
		assert.deepEqual([patched(shared), restarted(shared), patched(other)], [1, 1, 1]);
		assert.deepEqual([run.outcomes[fixer]!.verdict, run.outcomes[follower]!.verdict, run.outcomes[follower]!.through], ['fixed', 'fixed', fixer]);
	});

	test('no to the one question: the cluster is not asked about again through the other context; nothing changed', async () => {
		const shared = brokenThick();
		const run = await runFleetOn({a: shared, alias: shared}, {}, {interactive: true, answer: false});
		const [fixer, follower] = roles(run, 'a', 'alias');
		assert.deepEqual(run.questions, [[fixer]]);
		assert.deepEqual([run.outcomes[fixer]!.verdict, run.outcomes[follower]!.verdict, run.outcomes[follower]!.through], ['declined', 'declined', fixer]);
		assert.equal(patched(shared) + restarted(shared), 0);
	});

	test('--confirm-each and --parallel 1: one question for the cluster, none for the context that reaches it again', async () => {
		const shared = brokenThick();
		const other = brokenThick();
		const run = await runFleetOn({a: shared, other, alias: shared}, {fleet: {confirmEach: true, parallel: 1}}, {interactive: true, answer: true});
		assert.deepEqual(run.questions.flat().sort(), ['a', 'other']);
		assert.equal(run.outcomes['alias']!.through, 'a');
		assert.deepEqual([patched(shared), restarted(shared), patched(other)], [1, 1, 1]);
	});

	test('the context changing it fails after a write: the other takes that outcome, exit code and all, and writes nothing', async () => {
		const shared = brokenThick();
		shared.fault('restartDaemonSet', {error: new MultusError('Forbidden', 'daemonsets.apps "kube-multus-ds" is forbidden: cannot patch', {hint: 'grant patch on daemonsets'})}, {matches: args => args[3] === false, times: 5});
		const run = await runFleetOn({a: shared, alias: shared}, {yes: true});
		const [fixer, follower] = roles(run, 'a', 'alias');
		assert.equal(run.outcomes[fixer]!.verdict, 'failed');
		assert.deepEqual([run.outcomes[follower]!.verdict, run.outcomes[follower]!.exitCode, run.outcomes[follower]!.through], ['failed', run.outcomes[fixer]!.exitCode, fixer]);
		assert.equal(restarted(shared), 1, 'one restart tried, by the fixer');
		assert.equal(patched(shared), 1);
		assert.equal(run.exitCode, run.outcomes[fixer]!.exitCode);
	});

	test('the first creates the dedicated role and its binding is refused: that is a write; the other takes the outcome, seeing the role through its own connection', async () => {
		const shared = brokenThick();
		shared.bindings[0]!.subjects!.push({kind: 'ServiceAccount', name: 'webapp', namespace: 'default'});
		shared.fault('createClusterRoleBinding', {error: new MultusError('Forbidden', 'admission webhook "policy.example" denied the request')}, {matches: args => args[1] === false, times: 5});
		const run = await runFleetOn({a: shared, alias: shared}, {yes: true});
		const dedicated = 'kubectl-multus:kube-system:kube-multus-ds';
		assert.equal(run.outcomes['a']!.verdict, 'failed');
		assert.match(run.outcomes['a']!.message, new RegExp(`ClusterRole ${dedicated} was created \\(pods \\[""\\]: list, watch\\), but its ClusterRoleBinding ${dedicated} was not`));
		assert.deepEqual([run.outcomes['alias']!.verdict, run.outcomes['alias']!.exitCode, run.outcomes['alias']!.through], ['failed', ExitCode.Forbidden, 'a']);
		assert.match(run.outcomes['alias']!.message, new RegExp(`its outcome is this one's \\(one change, not two\\): .*ClusterRole ${dedicated} was created`));
		assert.deepEqual([shared.callsOf('createClusterRole').filter(args => args[1] === false).length, shared.callsOf('createClusterRoleBinding').filter(args => args[1] === false).length], [1, 1], 'written once, by the first');
		assert.ok(shared.callsOf('readClusterRole').some(args => args[0] === dedicated), 'the other context read the role the first one left before it took the outcome as its own');
	});

	test('a dedicated fix half applied: the REASON cell says the role is in the cluster and the binding refused or in doubt, before the error; the whole sentence under the table', async () => {
		const sharedRole = () => {
			const cluster = brokenThick();
			cluster.bindings[0]!.subjects!.push({kind: 'ServiceAccount', name: 'webapp', namespace: 'default'});
			return cluster;
		};
		const refusedHere = sharedRole();
		refusedHere.fault('createClusterRoleBinding', {error: new MultusError('Forbidden', 'admission webhook "policy.example" denied the request')}, {matches: args => args[1] === false, times: 5});
		const silent = sharedRole();
		silent.fault('createClusterRoleBinding', 'no-answer', {matches: args => args[1] === false, times: Number.POSITIVE_INFINITY});
		silent.fault('readClusterRoleBinding', 'no-answer', {times: Number.POSITIVE_INFINITY});
		const run = await runFleetOn({refused: refusedHere, silent}, {yes: true, timeoutMs: 30});
		assert.equal(rowOf(run, 'refused').reason, 'role created, binding refused: admission webhook "policy.example" denied the request');
		assert.match(rowOf(run, 'silent').reason, /^role created, binding in doubt: /);
		assert.equal(fleetReport(run.state).contexts.find(context => context.context === 'refused')?.row.reason, rowOf(run, 'refused').reason);
		// Under the table, the outcome's whole sentence, as a single run says it.
		assert.match(run.outcomes['refused']!.message, /ClusterRole kubectl-multus:kube-system:kube-multus-ds was created \(pods \[""\]: list, watch\), but its ClusterRoleBinding/);
		assert.match(run.outcomes['silent']!.message, /its ClusterRoleBinding kubectl-multus:kube-system:kube-multus-ds may or may not have been created/);

		// Run again with the binding still refused: the role is the earlier run's.
		const again = await runFleetOn({refused: refusedHere}, {yes: true});
		assert.equal(rowOf(again, 'refused').reason, 'role there from an earlier run, binding refused: admission webhook "policy.example" denied the request');
	});

	test('the first fails before any write (its own permissions): the other context gets its own turn and fixes it', async () => {
		const shared = brokenThick();
		// The first server-side dry run is refused, as for a user who may not patch: that context fails, writing nothing.
		shared.fault('patchClusterRole', {error: new MultusError('Forbidden', 'clusterroles.rbac.authorization.k8s.io "multus" is forbidden: cannot patch', {hint: 'grant patch'})}, {matches: args => args[2] === true, times: 1});
		const run = await runFleetOn({a: shared, alias: shared}, {yes: true});
		assert.deepEqual([run.outcomes['a']!.verdict, run.outcomes['a']!.exitCode], ['failed', ExitCode.Forbidden], 'the first in the kubeconfig plans first');
		assert.deepEqual([run.outcomes['alias']!.verdict, run.outcomes['alias']!.through], ['fixed', undefined], 'the next planned and fixed on its own');
		assert.deepEqual([patched(shared), restarted(shared)], [1, 1]);
	});

	test('the turn goes by the kubeconfig\'s order, not by who gets there first: a later context that is faster still waits', async () => {
		const shared = brokenThick();
		// The first request of the run (the first context's /version) answers late: the second context is at its plan
		// well before the first has found anything.
		shared.fault('serverVersion', {delayMs: 150});
		const run = await runFleetOn({first: shared, second: shared}, {yes: true});
		assert.deepEqual([run.outcomes['first']!.verdict, run.outcomes['first']!.through], ['fixed', undefined]);
		assert.deepEqual([run.outcomes['second']!.verdict, run.outcomes['second']!.through], ['fixed', 'first']);
		const notes = run.events.flatMap(event => (event.type === 'context-event' && event.context === 'second' && event.event.type === 'note' ? [event.event.note] : []));
		assert.deepEqual(notes, ['Waiting for context first to find its Multus: it comes first, and a Multus two contexts reach is changed once, through the first.']);
		assert.deepEqual([patched(shared), shared.callsOf('restartDaemonSet').filter(args => args[3] === false).length], [1, 1]);
	});

	test('a context waiting for several before it names them all, row and note; its time is its own work, the turn\'s wait said apart', async () => {
		const shared = brokenThick();
		// The first two requests of the run (a's and b's /version) answer late: c is at its plan before either found anything.
		shared.fault('serverVersion', {delayMs: 300}, {times: 2});
		const run = await runFleetOn({a: shared, b: shared, c: shared}, {yes: true});
		// b finds the cluster after a's fix or during it: healthy, or a's outcome; c comes after both, and takes a's.
		assert.deepEqual(['a', 'c'].map(name => [run.outcomes[name]!.verdict, run.outcomes[name]!.through ?? null]), [['fixed', null], ['fixed', 'a']]);
		const notes = run.events.flatMap(event => (event.type === 'context-event' && event.context === 'c' && event.event.type === 'note' && /^Waiting/.test(event.event.note) ? [event.event.note] : []));
		assert.deepEqual(notes, ['Waiting for contexts a and b to find their Multus: they come first, and a Multus two contexts reach is changed once, through the first.']);
		const waits = run.events.flatMap(event => (event.type === 'context-waiting' && event.context === 'c' ? [event.for.join(', ')] : []));
		assert.equal(waits[0], 'a, b', 'its row names both');
		const first = run.events.findIndex(event => event.type === 'context-waiting' && event.context === 'c');
		assert.equal(fleetRow(run.events.slice(0, first + 1).reduce(fleetReducer, initialFleetState()).contexts['c']!, 0).cells.verdict, 'waits for a and b');
		// Once one of them ended, the row names only the other (a, whose fix c takes, or b, while it takes a's outcome).
		assert.equal(waits.length, 2, `a new row only when whom it waits for changes: ${waits.join(' | ')}`);
		assert.match(waits[1]!, /^[ab]$/);
		const report = fleetReport(run.state);
		const c = report.contexts.find(context => context.context === 'c')!;
		assert.ok(c.turnWaitSeconds >= 0.25, `c waited for its turn: ${c.turnWaitSeconds} s`);
		const entry = run.state.contexts['c']!;
		const wall = (entry.finishedAt! - run.state.startedAt!) / 1000;
		assert.ok(c.seconds! <= wall - c.turnWaitSeconds + 1e-9, `its seconds (${c.seconds}) leave out the ${c.turnWaitSeconds} s it waited (of ${wall} s)`);
		for (const context of report.contexts) {
			const ended = (run.state.contexts[context.context]!.finishedAt! - run.state.startedAt!) / 1000;
			assert.ok(Math.abs(context.seconds! + context.answerWaitSeconds + context.slotWaitSeconds + context.turnWaitSeconds - ended) < 1e-6, `${context.context}: its work and waits add up to its end`);
		}
	});

	test('Ctrl-C while one waits for its turn: the first stops at a safe point, the other takes that outcome and reads nothing more', async () => {
		const shared = brokenThick();
		const run = await runFleetOn({a: shared, alias: shared}, {yes: true}, {abortWhen: event => event.type === 'context-waiting'});
		assert.equal(run.outcomes['a']!.verdict, 'cancelled', run.outcomes['a']!.message);
		assert.deepEqual([run.outcomes['alias']!.verdict, run.outcomes['alias']!.through], ['cancelled', 'a']);
		assert.match(run.outcomes['alias']!.message, /^Context a reaches the same Multus .*, and its outcome is this one's \(one change, not two\): Cancelled during /);
		assert.equal(run.state.contexts['alias']!.doctor.plan, undefined);
		assert.ok(patched(shared) <= 1 && restarted(shared) <= 1);
		assert.equal(run.exitCode, ExitCode.ProblemFound);
	});

	test('a cluster that names another\'s DaemonSet uid is not taken at its word: the change must be seen through the context\'s own connection', async () => {
		const real = brokenThick();
		const claimer = brokenThick();
		// Another cluster whose DaemonSet carries the same uid (a server can say anything): its context waits, then
		// looks for the first one's restart and rules through its own connection, does not see them, and fixes its own.
		claimer.daemonSet('kube-system', 'kube-multus-ds')!.metadata!.uid = real.daemonSet('kube-system', 'kube-multus-ds')!.metadata!.uid;
		const run = await runFleetOn({a: real, b: claimer}, {yes: true});
		assert.deepEqual([run.outcomes['a']!.verdict, run.outcomes['b']!.verdict, run.outcomes['b']!.through], ['fixed', 'fixed', undefined]);
		assert.deepEqual([patched(real), restarted(real), patched(claimer), restarted(claimer)], [1, 1, 1, 1]);
		const notes = run.events.flatMap(event => (event.type === 'context-event' && event.context === 'b' && event.event.type === 'note' ? [event.event.note] : []));
		assert.ok(notes.some(note => /^Context a named the same DaemonSet uid \(uid-kube-multus-ds-\d+\), but its change is not seen through this context .*: planning on its own\.$/.test(note)), notes.join('\n'));
		assert.ok(grantsPods(claimer));
	});

	test('a context that wrote nothing hands on no verdict but the user\'s: a healthy first does not make a broken second with its uid healthy (a cluster restored from the other\'s backup)', async () => {
		for (const options of [{yes: true}, {}]) {
			const healthy = healthyThick();
			const broken = brokenThick();
			broken.daemonSet('kube-system', 'kube-multus-ds')!.metadata!.uid = healthy.daemonSet('kube-system', 'kube-multus-ds')!.metadata!.uid;
			const run = await runFleetOn({a: healthy, b: broken}, options);
			assert.equal(run.outcomes['a']!.verdict, 'healthy');
			const b = run.outcomes['b']!;
			assert.equal(b.through, undefined, b.message);
			assert.deepEqual([b.verdict, b.exitCode], options.yes ? ['fixed', ExitCode.Ok] : ['declined', ExitCode.ProblemFound], b.message);
			assert.equal(grantsPods(broken), options.yes === true);
			assert.equal(run.exitCode, options.yes ? ExitCode.Ok : ExitCode.ProblemFound);
		}
	});

	test('--check and --dry-run: each context diagnoses and plans on its own; nothing is shared or waited for', async () => {
		for (const options of [{check: true}, {dryRun: 'server' as const, yes: true}]) {
			const shared = brokenThick();
			const run = await runFleetOn({a: shared, alias: shared}, options);
			assert.deepEqual(Object.values(run.outcomes).map(outcome => outcome.through), [undefined, undefined]);
			assert.ok(Object.values(run.state.contexts).every(entry => entry.doctor.plan !== undefined), 'both planned');
			assert.equal(patched(shared) + restarted(shared), 0);
		}
	});

	test('--emit --emit-dir: a file for each context with a fix, the same Multus again included, its line names the other; a file this run does not write is said to be left from before', async () => {
		const shared = brokenThick();
		const run = await runFleetOn({a: shared, alias: shared, other: brokenThick(), fine: healthyThick()}, {check: true});
		const dir = mkdtempSync(path.join(tmpdir(), 'emit-'));
		writeFileSync(path.join(dir, 'fine.yaml'), 'an earlier run\'s fix\n');
		const lines: string[] = [];
		const options = {...doctorOptions({interactive: false, check: true, emit: 'manifest'}), fleet: {selection: {all: true}, parallel: 20, confirmEach: false, emitDir: dir}} as const;
		const code = writeEmitted(options, run.state, line => lines.push(line));
		assert.equal(code, ExitCode.ProblemFound);
		assert.deepEqual(readdirSync(dir).sort(), ['a.yaml', 'alias.yaml', 'fine.yaml', 'other.yaml']);
		assert.equal(readFileSync(path.join(dir, 'alias.yaml'), 'utf8'), readFileSync(path.join(dir, 'a.yaml'), 'utf8'));
		assert.match(lines[0]!, /^\[a\] wrote .*a\.yaml: ClusterRole multus: adds pods[^\n]*\n$/);
		assert.match(lines[1]!, /^\[alias\] wrote .*alias\.yaml: ClusterRole multus: adds pods.*\n  the same Multus as a \(DaemonSet kube-system\/kube-multus-ds, uid uid-kube-multus-ds-\d+\) and the same change as .*\/a\.yaml: if both contexts reach one cluster, apply one of the two\n$/s);
		assert.match(lines[2]!, /^\[other\] wrote .*other\.yaml: [^\n]*\n$/);
		assert.match(lines[3]!, /^\[fine\] no file: Healthy.*\n  .*fine\.yaml is not this run's: it is left from before; remove it before applying the directory\n$/s);
		assert.equal(readFileSync(path.join(dir, 'fine.yaml'), 'utf8'), 'an earlier run\'s fix\n', 'left as it was');
		assert.equal(patched(shared), 0, 'nothing changed');
	});
});

describe('fleet: the bound and Ctrl-C', () => {
	test('Ctrl-C while a context proves its fix: its row is patched, not proven (exit 7), the reason says the proof was stopped by the user and how far it got', async () => {
		const cluster = brokenThick();
		let restarted = false;
		const run = await runFleetOn({a: cluster}, {yes: true, timeoutMs: 20_000}, {
			abortWhen: event => {
				if (event.type !== 'context-event') return false;
				if (event.event.type === 'restarted' && !restarted) {
					restarted = true;
					// The new daemons' logs are not served yet (their containers are starting): the proof waits.
					cluster.fault('readPodLog', {error: new MultusError('NotFound', 'container "kube-multus" in pod is waiting to start: ContainerCreating')}, {times: 10_000});
				}
				return event.event.type === 'proof-progress';
			},
		});
		assert.deepEqual([run.outcomes['a']!.verdict, run.outcomes['a']!.exitCode, run.exitCode], ['unproven', 7, 7]);
		const row = rowOf(run, 'a');
		assert.deepEqual([row.verdict, row.exit], ['patched, not proven', '7']);
		assert.match(row.reason, /^Patched, not proven: the proof was stopped by the user \(Ctrl-C\) after \d+\.\d s, with 0 of 3 new daemons proven\. The fix is applied: ClusterRole multus was patched/);
	});

	test('SIGTERM while a context proves its fix: the same row and exit 7, its reason says SIGTERM stopped the proof, not the user', async () => {
		const cluster = brokenThick();
		let restarted = false;
		const run = await runFleetOn({a: cluster}, {yes: true, timeoutMs: 20_000}, {
			abortWhen: event => {
				if (event.type !== 'context-event') return false;
				if (event.event.type === 'restarted' && !restarted) {
					restarted = true;
					cluster.fault('readPodLog', {error: new MultusError('NotFound', 'container "kube-multus" in pod is waiting to start: ContainerCreating')}, {times: 10_000});
				}
				return event.event.type === 'proof-progress';
			},
			stopBy: {signal: 'SIGTERM', fromTerminal: false},
		});
		assert.deepEqual([run.outcomes['a']!.verdict, run.outcomes['a']!.exitCode, run.exitCode], ['unproven', 7, 7]);
		const row = rowOf(run, 'a');
		assert.match(row.reason, /^Patched, not proven: the proof was stopped by SIGTERM after \d+\.\d s, with 0 of 3 new daemons proven\. The fix is applied: ClusterRole multus was patched/);
		assert.doesNotMatch(row.reason, /Ctrl-C|by the user/);
		const report = fleetReport(run.state);
		assert.deepEqual(report.contexts[0]!.report.verification?.proof.stoppedBy, {signal: 'SIGTERM', fromTerminal: false});
	});

	test('--parallel 1 with one question: after the answer the clusters take turns for the slot, and that wait is not their time', async () => {
		const members = {a: brokenThick(), b: brokenThick(), c: brokenThick()};
		const run = await runFleetOn(members, {fleet: {parallel: 1}}, {interactive: true, answer: true});
		assert.deepEqual(Object.values(run.outcomes).map(outcome => outcome.verdict), ['fixed', 'fixed', 'fixed']);
		const report = fleetReport(run.state);
		const afterStart = (name: string) => report.contexts.find(context => context.context === name)!.slotWaitSeconds - (run.state.contexts[name]!.startedAt! - run.state.startedAt!) / 1000;
		assert.ok(afterStart('b') + afterStart('c') > 0, 'b and c waited for a slot after their answer, while a fixed its cluster');
		assert.ok(run.events.some(event => event.type === 'context-queued' && event.context === 'c'));
		for (const context of report.contexts) {
			const ended = (run.state.contexts[context.context]!.finishedAt! - run.state.startedAt!) / 1000;
			assert.ok(Math.abs(context.seconds! + context.answerWaitSeconds + context.slotWaitSeconds + context.turnWaitSeconds - ended) < 1e-6, `${context.context}: its work and waits add up to its end`);
		}
	});

	test('--parallel 2 runs at most two clusters at once, all of them in the end', async () => {
		const members = Object.fromEntries(Array.from({length: 7}, (_, index) => [`c${index}`, index % 2 ? brokenThick() : healthyThick()]));
		const run = await runFleetOn(members, {check: true, fleet: {parallel: 2}});
		assert.equal(run.mostAtOnce, 2);
		assert.equal(Object.keys(run.outcomes).length, 7);
		assert.equal(run.exitCode, ExitCode.ProblemFound);
	});

	test('Ctrl-C stops every cluster at a safe point; those not started never connect', async () => {
		const members = {a: brokenThick(), b: brokenThick(), c: brokenThick(), d: brokenThick()};
		const run = await runFleetOn(members, {yes: true, fleet: {parallel: 2}}, {abortWhen: event => event.type === 'context-event' && event.event.type === 'patched'});
		assert.ok(Object.values(run.outcomes).every(outcome => outcome.verdict === 'cancelled' || outcome.verdict === 'fixed'), JSON.stringify(run.outcomes));
		assert.equal(members.c.callsOf('serverVersion').length + members.d.callsOf('serverVersion').length, 0, 'the queued clusters never connected');
		const cancelled = Object.values(run.outcomes).find(outcome => outcome.verdict === 'cancelled')!;
		assert.match(cancelled.message, /Cancelled during/);
		assert.equal(run.exitCode, ExitCode.ProblemFound);
		// Every row says where its cluster stands: a cluster stopped after its patch says it was patched.
		const a = run.state.contexts['a']!.doctor;
		if (a.outcome?.verdict === 'cancelled') assert.match(a.outcome.message, /patched|ClusterRole/);
	});

	test('Ctrl-C while the question is open answers it no: nothing changes', async () => {
		const members = {a: brokenThick(), b: brokenThick()};
		const run = await runFleetOn(members, {}, {interactive: true, answer: true, ctrlCAtQuestion: true});
		assert.deepEqual(Object.values(run.outcomes).map(outcome => outcome.verdict), ['cancelled', 'cancelled']);
		assert.equal(patched(members.a) + patched(members.b), 0);
	});
});

describe('fleet: exit code and report', () => {
	test('the most serious code wins, in the documented order 5 > 2 > 3 > 4 > 1 > 7 > 0', () => {
		assert.deepEqual(exitCodeOrder, [5, 2, 3, 4, 1, 7, 0]);
		assert.equal(foldExitCodes([]), 0);
		assert.equal(foldExitCodes([0, 7]), 7);
		assert.equal(foldExitCodes([7, 1, 0]), 1);
		assert.equal(foldExitCodes([1, 4]), 4);
		assert.equal(foldExitCodes([4, 3, 1]), 3);
		assert.equal(foldExitCodes([3, 5]), 5);
		assert.equal(foldExitCodes([3, 2]), 2);
		assert.equal(foldExitCodes([2, 5]), 5, 'a failed rollout outranks a cluster the run did not fit');
		assert.equal(foldExitCodes([0, 130]), 130);
	});

	test('-o json: one doctor report per context, as a single run prints it, plus a summary', async () => {
		const run = await runFleetOn({a: brokenThick(), healthy: healthyThick(), down: unreachable('down')}, {check: true});
		const report = fleetReport(run.state);
		assert.equal(report.kind, 'fleet');
		assert.equal(report.exitCode, 3);
		assert.deepEqual(report.summary.byVerdict, {problem: 1, healthy: 1, failed: 1});
		assert.deepEqual(report.summary.byExitCode, {'1': 1, '0': 1, '3': 1});
		assert.deepEqual(report.contexts.map(context => [context.context, context.exitCode, context.row.verdict]), [['a', 1, 'broken'], ['healthy', 0, 'healthy'], ['down', 3, 'unreachable']]);
		const a = report.contexts[0]!.report;
		assert.equal(a.reportVersion, 1);
		assert.equal(a.connection?.context, 'a');
		assert.deepEqual(a.plan?.addText, ['pods [""]: list, watch']);
		assert.equal(report.contexts[2]!.report.error?.kind, 'Unreachable');
		assert.equal(fleetRows(run.state, 0).length, 3);
	});
});

test('the README states the exit-code order the fleet folds by', async () => {
	const {readFileSync} = await import('node:fs');
	const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
	const order = exitCodeOrder.join(' > ');
	assert.ok(readme.includes(`**${order}**`), `README's fleet section says ${order}`);
	assert.ok(readme.replace(/\n/g, ' ').includes(`most serious of theirs: ${order}`), 'README next to the exit-code table');
});

test('plain printer: a line per write and per finished context, then the table, the reasons and the outcome', async () => {
	const {fleetPlainPrinter} = await import('../../../source/fleet/plain.js');
	const run = await runFleetOn({a: brokenThick(), down: unreachable('down')}, {yes: true});
	let text = '';
	const print = fleetPlainPrinter({color: false, parallel: 20}, chunk => (text += chunk));
	for (const event of run.events) print(event);
	assert.match(text, /^kubectl multus doctor: 2 contexts, all at once$/m);
	assert.match(text, /^\[a\] ✔ patched ClusterRole multus/m);
	assert.match(text, /^\[a\] ✔ restart requested at/m);
	assert.match(text, /^\[a\] fixed \(exit 0, /m);
	assert.match(text, /^\[down\] unreachable \(exit 3, /m);
	assert.match(text, /^CONTEXT +SERVER/m);
	assert.match(text, /^✖ down \(exit 3\): cannot reach/m);
	assert.match(text, /2 contexts: 1 fixed, 1 unreachable\. Exit 3/);
	assert.ok(text.indexOf('[a] ✔ patched') < text.indexOf('CONTEXT'), 'the writes come as they happen, the table at the end');
});
