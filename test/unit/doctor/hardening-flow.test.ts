// The flow against the in-memory cluster for issue #12, item 12: a binding to a deleted role, and a role too large
// for the change record.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {requiredRules} from '../../../source/multus/requirements.js';
import {rulesCover} from '../../../source/multus/rbac.js';
import {brokenThick} from '../../helpers/fake-multus.js';
import {runFlow} from '../../helpers/flow.js';

describe('a binding to a deleted ClusterRole', () => {
	test('is named as such (not "only through shared groups"), and the hint recreates the whole role Multus needs', async () => {
		const cluster = brokenThick();
		cluster.clusterRoles = cluster.clusterRoles.filter(role => role.metadata?.name !== 'multus');
		const run = await runFlow(cluster, {check: true});
		assert.equal(run.outcome.exitCode, 1, run.outcome.message);
		assert.match(run.outcome.message, /^ClusterRoleBinding multus binds ServiceAccount kube-system:multus to ClusterRole multus, which does not exist \(deleted\?\), so it grants nothing/);
		assert.doesNotMatch(run.outcome.message, /shared groups/);
		const hint = run.state.failure?.hint ?? '';
		const json = /^recreate it with every rule Multus needs: printf %s '(.*)' \| kubectl apply -f -$/.exec(hint)?.[1];
		assert.ok(json, hint);
		const role = JSON.parse(json) as {metadata: {name: string}; rules: []};
		assert.equal(role.metadata.name, 'multus');
		for (const requirement of requiredRules('thick')) assert.ok(rulesCover(role.rules, requirement.rule), JSON.stringify(requirement.rule));
	});
});

describe('a ClusterRole too large for the change record', () => {
	const hugeRole = () => {
		const cluster = brokenThick();
		const role = cluster.clusterRoles.find(r => r.metadata?.name === 'multus')!;
		role.rules = [...role.rules!, ...Array.from({length: 5000}, (_, n) => ({apiGroups: ['example.com'], resources: [`widgets-${n}`], verbs: ['get', 'list']}))];
		return cluster;
	};

	test('5000 rules: refused before the patch, pointing at --emit patch; nothing written', async () => {
		const cluster = hugeRole();
		const run = await runFlow(cluster, {yes: true});
		assert.equal(run.outcome.exitCode, 1, run.outcome.message);
		assert.match(run.outcome.message, /^ClusterRole multus is too large for the change record: with its \d+ rules the record \(the rules before and after, for undo\) makes its annotations \d+ KiB, past the API server's 256 KiB, so the patch would be refused\. Nothing in the cluster was changed\.$/);
		assert.match(run.state.failure?.hint ?? '', /kubectl multus doctor --emit patch > fix\.json && kubectl patch clusterrole multus --type=json --patch-file fix\.json/);
		assert.equal(cluster.callsOf('patchClusterRole').length, 0, 'not even a dry run');
	});

	test('--check still diagnoses it (the record is only written by a fix)', async () => {
		const run = await runFlow(hugeRole(), {check: true});
		assert.match(run.outcome.message, /^Problem found \(--check: nothing changed\)/);
	});
});
