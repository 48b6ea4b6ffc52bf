// kubectl multus undo against the in-memory cluster: one undo takes back everything the doctor added over several
// runs, and nothing the user added; its refusals say why, in every output format.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1PolicyRule} from '@kubernetes/client-node';
import {runUndo, type UndoEnv} from '../../../source/commands/undo.js';
import {readRecord} from '../../../source/doctor/record.js';
import {serviceAccountIdentity} from '../../../source/multus/discovery.js';
import {doctorOptions} from '../../helpers/doctor-fixtures.js';
import type {FakeCluster} from '../../helpers/fake-cluster.js';
import {brokenRules, brokenThick} from '../../helpers/fake-multus.js';
import {runFlow} from '../../helpers/flow.js';

const dedicated = 'kubectl-multus:kube-system:kube-multus-ds';
const multus = serviceAccountIdentity('kube-system', 'multus');
const nadGet: V1PolicyRule = {apiGroups: ['k8s.cni.cncf.io'], resources: ['network-attachment-definitions'], verbs: ['get']};

function undoEnv(cluster: FakeCluster): UndoEnv & {out: string} {
	const env = {
		out: '',
		connect: () => ({client: cluster}),
		write(text: string) {
			env.out += text;
		},
		ask: async () => 'y',
	};
	return env;
}

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
