// kubectl multus undo against the in-memory cluster: one undo takes back everything the doctor added over several
// runs, and nothing the user added; its refusals say why, in every output format.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1PolicyRule} from '@kubernetes/client-node';
import {parse} from 'yaml';
import {runUndo} from '../../../source/commands/undo.js';
import {MultusError} from '../../../source/errors.js';
import {readRecord} from '../../../source/doctor/record.js';
import {serviceAccountIdentity} from '../../../source/multus/discovery.js';
import {doctorOptions} from '../../helpers/doctor-fixtures.js';
import type {FakeCluster} from '../../helpers/fake-cluster.js';
import {brokenRules, brokenThick} from '../../helpers/fake-multus.js';
import {runFlow, undoEnv} from '../../helpers/flow.js';
import {runFleetOn} from '../../helpers/fleet.js';

const dedicated = 'kubectl-multus:kube-system:kube-multus-ds';
const multus = serviceAccountIdentity('kube-system', 'multus');
const nadGet: V1PolicyRule = {apiGroups: ['k8s.cni.cncf.io'], resources: ['network-attachment-definitions'], verbs: ['get']};


function sharedThick(): FakeCluster {
	const cluster = brokenThick();
	cluster.bindings[0]!.subjects!.push({kind: 'ServiceAccount', name: 'webapp', namespace: 'default'});
	return cluster;
}

/** The shared role's NAD rule narrowed to get: the next doctor run has list/watch on NADs to add. */
async function narrowNadRule(cluster: FakeCluster, role = 'multus'): Promise<void> {
	await cluster.patchClusterRole(role, [{op: 'replace', path: '/rules/0', value: nadGet}], false);
}

const yes = () => doctorOptions({yes: true, interactive: false});

describe('a second doctor run on a role the first one changed', () => {
	test('the dedicated role: the record keeps "dedicated" and both additions; one undo deletes the role and binding', async () => {
		const cluster = sharedThick();
		assert.equal((await runFlow(cluster)).outcome.verdict, 'fixed');
		await narrowNadRule(cluster);
		const second = await runFlow(cluster);
		assert.equal(second.outcome.exitCode, 0, second.outcome.message);
		const record = readRecord(cluster.role(dedicated)!);
		assert.equal(record.state, 'valid');
		if (record.state !== 'valid') return;
		assert.equal(record.record.dedicated?.binding, dedicated, 'the record still says the role was created');
		assert.equal(record.record.added.length, 2, JSON.stringify(record.record.added));
		const env = undoEnv(cluster);
		assert.equal(await runUndo(yes(), env), 0, env.out);
		assert.equal(cluster.role(dedicated), undefined, env.out);
		assert.equal(cluster.bindings.some(b => b.metadata?.name === dedicated), false);
		assert.match(env.out, /pods/);
		assert.match(env.out, /network-attachment-definitions/);
	});

	test('a patched role: one undo removes the first run\'s pods list/watch and the second run\'s NAD rule, and keeps the user\'s', async () => {
		const cluster = brokenThick();
		assert.equal((await runFlow(cluster)).outcome.verdict, 'fixed');
		await narrowNadRule(cluster);
		const second = await runFlow(cluster);
		assert.equal(second.outcome.exitCode, 0, second.outcome.message);
		const env = undoEnv(cluster);
		assert.equal(await runUndo(yes(), env), 0, env.out);
		assert.deepEqual(cluster.role('multus')?.rules, [nadGet, ...brokenRules.slice(1)], 'back to the rules the user left');
		assert.equal(cluster.role('multus')?.metadata?.annotations?.['kubectl-multus.dev/change'], undefined);
		assert.equal(cluster.authorize(multus, {verb: 'list', resource: 'pods'}).allowed, false);
	});

	test('the closing sentence names what was removed: NAD rules alone do not claim pods', async () => {
		const cluster = brokenThick({role: {metadata: {name: 'multus'}, rules: [nadGet, ...structuredClone(brokenRules).slice(1), {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']}]}, forbiddenLogs: false});
		const run = await runFlow(cluster);
		assert.equal(run.outcome.exitCode, 0, run.outcome.message);
		const env = undoEnv(cluster);
		assert.equal(await runUndo(yes(), env), 0, env.out);
		assert.doesNotMatch(env.out, /without list and watch on pods/);
		assert.match(env.out, /network-attachment-definitions/);
	});
});

/** The role patched by a first run, then shared, and a dedicated role created by a second run: two records, one DaemonSet. */
async function patchedThenDedicated(): Promise<FakeCluster> {
	const cluster = brokenThick();
	assert.equal((await runFlow(cluster)).outcome.verdict, 'fixed');
	cluster.bindings[0]!.subjects!.push({kind: 'ServiceAccount', name: 'webapp', namespace: 'default'});
	await narrowNadRule(cluster);
	const second = await runFlow(cluster);
	assert.equal(second.outcome.exitCode, 0, second.outcome.message);
	assert.ok(cluster.role(dedicated), 'the second run created the dedicated role');
	return cluster;
}

const options = (overrides: Parameters<typeof doctorOptions>[0] = {}) => doctorOptions({yes: true, interactive: false, ...overrides});

describe('two change records for one DaemonSet', () => {
	for (const [label, overrides] of [
		['no flags', {}],
		['-n and --daemonset', {daemonSet: 'kube-multus-ds', connection: {...doctorOptions().connection, namespace: 'kube-system'}}],
	] as const) {
		test(`undo (${label}) is no usage error: one question lists both, and both are undone`, async () => {
			const cluster = await patchedThenDedicated();
			const env = undoEnv(cluster);
			const asked: string[] = [];
			env.ask = async question => {
				asked.push(question);
				return 'y';
			};
			// The user narrowed the shared role's NAD rule since the first run: that takes --force.
			assert.equal(await runUndo(doctorOptions({force: true, ...overrides}), env), 0, env.out);
			assert.equal(asked.length, 1);
			assert.match(asked[0]!, /remove the rules from ClusterRole multus/);
			assert.match(asked[0]!, /delete ClusterRole kubectl-multus:kube-system:kube-multus-ds and ClusterRoleBinding kubectl-multus:kube-system:kube-multus-ds/);
			assert.equal(cluster.role(dedicated), undefined);
			assert.equal(cluster.bindings.some(b => b.metadata?.name === dedicated), false);
			assert.deepEqual(cluster.role('multus')?.rules, [nadGet, ...brokenRules.slice(1)]);
		});
	}

	test('without --force the changed shared role is the refusal (exit 1), not "pick one" (exit 2); nothing is written', async () => {
		const cluster = await patchedThenDedicated();
		const env = undoEnv(cluster);
		await assert.rejects(runUndo(options(), env), (error: unknown) => error instanceof MultusError && error.exitCode === 1 && /ClusterRole multus changed after kubectl multus patched it/.test(error.message));
		assert.ok(cluster.role(dedicated));
	});
});

describe('-n or --daemonset that no record is for', () => {
	test('a mistyped --daemonset: exit 2, the records there are named, and no hint to remove a record', async () => {
		const cluster = brokenThick();
		await runFlow(cluster);
		await assert.rejects(runUndo(options({daemonSet: 'kube-multus', connection: {...doctorOptions().connection, context: 'prod'}}), undoEnv(cluster)), (error: unknown) => {
			assert.ok(error instanceof MultusError);
			assert.equal(error.exitCode, 2);
			assert.match(error.message, /^no change record for a DaemonSet named kube-multus in any namespace; records exist for kube-system\/kube-multus-ds \(ClusterRole multus\)/);
			assert.doesNotMatch(`${error.message} ${error.hint ?? ''}`, /annotate/);
			assert.match(error.hint ?? '', /e\.g\. kubectl multus undo --context prod -n kube-system --daemonset kube-multus-ds$/);
			return true;
		});
		assert.ok(readRecord(cluster.role('multus')!).state === 'valid', 'the record is still there');
	});

	test('a mistyped -n says the namespace', async () => {
		const cluster = brokenThick();
		await runFlow(cluster);
		await assert.rejects(runUndo(options({connection: {...doctorOptions().connection, namespace: 'kube-sytem'}}), undoEnv(cluster)), /no change record for a DaemonSet in namespace kube-sytem; records exist for kube-system\/kube-multus-ds/);
	});
});

describe('undo of a dedicated role checks both deletes first', () => {
	test('a delete the caller may not do: exit 4, named, and nothing deleted', async () => {
		const cluster = sharedThick();
		await runFlow(cluster);
		cluster.selfDenied.push({verb: 'delete', resource: 'clusterroles'});
		await assert.rejects(runUndo(options(), undoEnv(cluster)), (error: unknown) => {
			assert.ok(error instanceof MultusError);
			assert.equal(error.exitCode, 4);
			assert.match(error.message, /you lack permission to undo: delete ClusterRole kubectl-multus:kube-system:kube-multus-ds; nothing was changed/);
			assert.match(error.hint ?? '', /clusterroles\.rbac\.authorization\.k8s\.io "kubectl-multus:kube-system:kube-multus-ds": delete/);
			return true;
		});
		assert.equal(cluster.callsOf('deleteClusterRole').length + cluster.callsOf('deleteClusterRoleBinding').length, 0);
		const env = undoEnv(cluster);
		assert.equal(await runUndo(options({dryRun: 'client'}), env), 1, 'a client-side dry run is no refusal');
		assert.match(env.out, /! you lack permission to undo: delete ClusterRole kubectl-multus:kube-system:kube-multus-ds/);
	});

	test('the role delete fails after the binding went: says what was deleted, what is left, and how to finish', async () => {
		const cluster = sharedThick();
		await runFlow(cluster);
		cluster.fault('deleteClusterRole', {error: new MultusError('Conflict', `cannot delete ClusterRole ${dedicated}: the object has been modified`, {status: 409})});
		await assert.rejects(runUndo(options(), undoEnv(cluster)), (error: unknown) => {
			assert.ok(error instanceof MultusError);
			assert.match(error.message, new RegExp(`Undo stopped halfway: it deleted ClusterRoleBinding ${dedicated}; ClusterRole ${dedicated} not deleted`));
			assert.match(error.hint ?? '', new RegExp(`to finish: kubectl delete clusterrole ${dedicated}`));
			return true;
		});
		assert.equal(cluster.bindings.some(b => b.metadata?.name === dedicated), false);
		assert.ok(cluster.role(dedicated));
	});
});

describe('a write that fails after another went through', () => {
	test('says what undo did and what is left (each change once), and that undo again finishes it', async () => {
		const cluster = await patchedThenDedicated();
		cluster.fault('deleteClusterRoleBinding', {error: new MultusError('Forbidden', `cannot delete ClusterRoleBinding ${dedicated}: denied by a webhook`, {status: 403})});
		const env = undoEnv(cluster);
		await assert.rejects(runUndo(options({force: true, output: 'json'}), env), (error: unknown) => {
			assert.ok(error instanceof MultusError);
			assert.equal(error.exitCode, 4);
			assert.match(error.message, new RegExp(`Undo stopped halfway: it removed the recorded rules from ClusterRole multus; ClusterRoleBinding ${dedicated} \\(and ClusterRole ${dedicated}\\) not deleted$`));
			assert.match(error.hint ?? '', /run kubectl multus undo again once that is fixed/);
			return true;
		});
		const report = JSON.parse(env.out) as {applied: boolean; changes: Array<{clusterRole: string; applied: boolean}>};
		assert.deepEqual([report.applied, report.changes.map(change => [change.clusterRole, change.applied])], [false, [['multus', true], [dedicated, false]]]);
		const again = undoEnv(cluster);
		assert.equal(await runUndo(options(), again), 0, again.out);
		assert.equal(cluster.role(dedicated), undefined);
	});
});

describe('undo -o json|yaml prints a report whatever the end', () => {
	const refusals: Array<[string, () => Promise<FakeCluster>, Parameters<typeof doctorOptions>[0], RegExp]> = [
		['nothing to undo', async () => brokenThick(), {}, /nothing to undo/],
		['a role changed since', async () => {
			const cluster = brokenThick();
			await runFlow(cluster);
			await narrowNadRule(cluster);
			return cluster;
		}, {}, /changed after kubectl multus patched it/],
		['no record for the DaemonSet named', async () => {
			const cluster = brokenThick();
			await runFlow(cluster);
			return cluster;
		}, {daemonSet: 'other'}, /no change record for/],
	];
	for (const [label, make, overrides, reason] of refusals) {
		test(`${label}: applied false and the reason on stdout, then the exit code`, async () => {
			const env = undoEnv(await make());
			await assert.rejects(runUndo(options({output: 'json', ...overrides}), env), MultusError);
			const report = JSON.parse(env.out) as {applied: boolean; reason: string};
			assert.equal(report.applied, false);
			assert.match(report.reason, reason);
		});
	}

	test('yaml too', async () => {
		const env = undoEnv(brokenThick());
		await assert.rejects(runUndo(options({output: 'yaml'}), env), MultusError);
		const report = parse(env.out) as {applied: boolean; reason: string};
		assert.equal(report.applied, false);
		assert.match(report.reason, /nothing to undo/);
	});
});

describe('undo --dry-run=server', () => {
	test('sends the patch with dryRun=All and changes nothing', async () => {
		const cluster = brokenThick();
		await runFlow(cluster);
		const before = cluster.callsOf('patchClusterRole').length;
		const env = undoEnv(cluster);
		assert.equal(await runUndo(options({dryRun: 'server'}), env), 1, env.out);
		const sent = cluster.callsOf('patchClusterRole').slice(before);
		assert.deepEqual(sent.map(args => [args[0], args[2]]), [['multus', true]]);
		assert.equal(readRecord(cluster.role('multus')!).state, 'valid', 'nothing changed');
		assert.match(env.out, /accepted by the API server/);
	});

	test('sends both deletes of a dedicated role with dryRun=All; both stay', async () => {
		const cluster = sharedThick();
		await runFlow(cluster);
		assert.equal(await runUndo(options({dryRun: 'server'}), undoEnv(cluster)), 1);
		assert.deepEqual(cluster.callsOf('deleteClusterRoleBinding').map(args => args[2]), [true]);
		assert.deepEqual(cluster.callsOf('deleteClusterRole').map(args => args[2]), [true]);
		assert.ok(cluster.role(dedicated));
		assert.ok(cluster.bindings.some(b => b.metadata?.name === dedicated));
	});

	test('client mode sends nothing', async () => {
		const cluster = brokenThick();
		await runFlow(cluster);
		const before = cluster.callsOf('patchClusterRole').length;
		assert.equal(await runUndo(options({dryRun: 'client'}), undoEnv(cluster)), 1);
		assert.equal(cluster.callsOf('patchClusterRole').length, before);
	});
});

describe('the printed undo command repeats the run\'s connection and selection flags', () => {
	const connection = {...doctorOptions().connection, kubeconfig: '/home/me/my clusters.yaml', context: 'prod', as: 'alice', asGroup: 'ops team', namespace: 'kube-system'};
	const expected = "kubectl multus undo --kubeconfig '/home/me/my clusters.yaml' --context prod --as alice --as-group 'ops team' -n kube-system --daemonset kube-multus-ds   (";

	test('one cluster: in the verification and the summary', async () => {
		const run = await runFlow(brokenThick(), {connection, daemonSet: 'kube-multus-ds'});
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
		assert.ok(run.state.verification?.undo.startsWith(expected), run.state.verification?.undo);
		assert.ok(run.state.patch?.undo?.startsWith(expected), 'the summary has it without a verification too');
	});

	test('the fleet: each context\'s own, with --kubeconfig and --as', async () => {
		const run = await runFleetOn({east: brokenThick(), west: brokenThick()}, {yes: true, connection: {...connection, context: undefined, namespace: undefined}});
		const undos = run.events.flatMap(event => (event.type === 'context-event' && event.event.type === 'verified' ? [[event.context, event.event.verification.undo] as const] : []));
		assert.equal(undos.length, 2);
		for (const [context, undo] of undos) assert.ok(undo.startsWith(`kubectl multus undo --kubeconfig '/home/me/my clusters.yaml' --context ${context} --as alice --as-group 'ops team'   (`), undo);
	});
});

describe('--emit manifest after an earlier run', () => {
	test('leaves out the doctor\'s own annotations (a stale change record), keeps the user\'s', async () => {
		const cluster = brokenThick();
		await runFlow(cluster);
		await cluster.patchClusterRole('multus', [{op: 'add', path: '/metadata/annotations/team', value: 'net'}], false);
		await narrowNadRule(cluster);
		const run = await runFlow(cluster, {emit: 'manifest'});
		const manifest = run.state.plan?.manifestYaml ?? '';
		assert.match(manifest, /network-attachment-definitions/, manifest);
		assert.doesNotMatch(manifest, /kubectl-multus\.dev/);
		assert.match(manifest, /team: net/);
	});
});
