// The security property of issue 12, against the in-memory cluster (many generated cases; the real authorizer's
// version is test/e2e/security.property.test.ts): for generated roles, bindings and change records, forged ones
// included, neither doctor nor undo gives any subject but the Multus identity anything, and undo gives nobody
// anything at all.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import type {V1PolicyRule, V1ResourceAttributes} from '@kubernetes/client-node';
import fc from 'fast-check';
import {runUndo} from '../../../source/commands/undo.js';
import {doctorOptions} from '../../helpers/doctor-fixtures.js';
import type {FakeCluster} from '../../helpers/fake-cluster.js';
import {brokenThick, podsListWatch} from '../../helpers/fake-multus.js';
import {runFlow} from '../../helpers/flow.js';
import {caseObjects, observers, securityCaseArb, type SecurityCase} from '../../helpers/security-arbitraries.js';

function attributes(atom: V1PolicyRule): V1ResourceAttributes | undefined {
	if (atom.nonResourceURLs?.length) return undefined;
	const [resource, subresource] = (atom.resources?.[0] ?? '').split('/');
	return {group: atom.apiGroups?.[0] ?? '', resource, ...(subresource ? {subresource} : {}), verb: atom.verbs[0], ...(atom.resourceNames?.[0] ? {name: atom.resourceNames[0]} : {})};
}

const podRequests: V1PolicyRule[] = ['list', 'watch', 'get'].map(verb => ({...podsListWatch, verbs: [verb]}));

/** Every observer's answer to every request, as `observer request` keys of what is allowed. */
function allowed(cluster: FakeCluster, c: SecurityCase): Map<string, boolean> {
	const answers = new Map<string, boolean>();
	for (const observer of observers) {
		for (const request of [...podRequests, ...c.requests]) {
			const asked = attributes(request);
			if (asked) answers.set(`${observer.name} ${JSON.stringify(request)}`, cluster.authorize({user: observer.user, groups: observer.groups}, asked).allowed);
		}
	}
	return answers;
}

/** What `after` allows and `before` did not, for the observers `who` picks. */
function gained(before: Map<string, boolean>, after: Map<string, boolean>, who: (name: string) => boolean): string[] {
	return [...after].filter(([key, yes]) => yes && !before.get(key) && who(key.split(' ')[0]!)).map(([key]) => key);
}

const isMultus = (name: string) => observers.find(o => o.name === name)?.multus === true;

function install(c: SecurityCase): FakeCluster {
	const cluster = brokenThick();
	const objects = caseObjects(c, 'prop', cluster.role('multus')!);
	const multus = objects.clusterRoles.at(-1)!;
	cluster.writeRole('multus', role => Object.assign(role, {metadata: {...role.metadata, ...multus.metadata, resourceVersion: role.metadata?.resourceVersion}, rules: multus.rules}));
	for (const role of objects.clusterRoles.slice(0, -1)) cluster.addClusterRole(role);
	for (const binding of objects.clusterRoleBindings) cluster.addBinding(binding);
	for (const binding of objects.roleBindings) cluster.addRoleBinding(binding);
	// As the apiserver lists them: by name (the doctor prefers the first role about pods).
	cluster.bindings.sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
	return cluster;
}

async function undo(cluster: FakeCluster): Promise<number | string> {
	const env = {connect: () => ({client: cluster}), write: () => {}, ask: async () => 'y'};
	return runUndo(doctorOptions({yes: true, interactive: false, output: 'json'}), env).catch((error: Error) => error.message);
}

test('property: doctor gives nobody but Multus anything, and undo gives nobody anything (in-memory cluster, 40 cases)', async t => {
	const stats = {fixed: 0, dedicated: 0, undone: 0, forgedRecords: 0};
	await fc.assert(
		fc.asyncProperty(securityCaseArb(), async c => {
			const cluster = install(c);
			stats.forgedRecords += c.records.length;
			const before = allowed(cluster, c);
			await undo(cluster);
			const afterForgedUndo = allowed(cluster, c);
			assert.deepEqual(gained(before, afterForgedUndo, () => true), [], 'undo of forged records granted');
			const run = await runFlow(cluster);
			if (run.outcome.verdict === 'fixed') stats.fixed++;
			if (run.state.plan?.dedicated) stats.dedicated++;
			const afterDoctor = allowed(cluster, c);
			assert.deepEqual(gained(afterForgedUndo, afterDoctor, name => !isMultus(name)), [], `doctor granted someone else (${run.outcome.message})`);
			if ((await undo(cluster)) === 0) stats.undone++;
			assert.deepEqual(gained(afterDoctor, allowed(cluster, c), () => true), [], 'undo granted');
		}),
		{numRuns: 40, seed: 20_261_201},
	);
	// The sample means something only if every path was taken often.
	t.diagnostic(JSON.stringify(stats));
	assert.ok(stats.fixed > 10 && stats.dedicated > 5 && stats.undone > 5 && stats.forgedRecords > 25, JSON.stringify(stats));
});
