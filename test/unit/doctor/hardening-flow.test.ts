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

describe('what a restart needs (issue #12, item 4)', () => {
	const restarts = (cluster: ReturnType<typeof brokenThick>) => cluster.callsOf('restartDaemonSet').filter(args => args[3] === false);

	test("the DaemonSet's ServiceAccount is missing: patched, not restarted, said why (exit 1); no pod lost", async () => {
		const cluster = brokenThick();
		cluster.missingServiceAccounts.add('kube-system/multus');
		const podsBefore = cluster.pods.map(pod => pod.metadata?.name).sort();
		const run = await runFlow(cluster, {yes: true});
		assert.equal(run.outcome.exitCode, 1, run.outcome.message);
		assert.match(run.outcome.message, /^ServiceAccount kube-system:multus, which DaemonSet kube-system\/kube-multus-ds runs its pods as, does not exist: a restart would delete each old pod and the controller could not create the new one \(serviceaccount "multus" not found\), taking Multus off the node\. Not restarted\. ClusterRole multus was patched/);
		assert.match(run.state.failure?.hint ?? '', /^recreate it \(kubectl -n kube-system create serviceaccount multus\), then run kubectl multus doctor again$/);
		assert.equal(restarts(cluster).length, 0);
		assert.deepEqual(cluster.pods.map(pod => pod.metadata?.name).sort(), podsBefore);
		assert.ok(rulesCover(cluster.role('multus')!.rules!, {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']}));
	});

	test('pods already not ready before the restart are said so first', async () => {
		const cluster = brokenThick();
		const pod = cluster.pods[1]!;
		pod.status = {phase: 'Pending', conditions: [{type: 'Ready', status: 'False'}], containerStatuses: [{name: 'kube-multus', ready: false, restartCount: 4, image: 'x', imageID: '', state: {waiting: {reason: 'CrashLoopBackOff'}}}]};
		const run = await runFlow(cluster, {yes: true});
		assert.ok(run.notes.some(note => /^1 of 3 Multus pod\(s\) of kube-system\/kube-multus-ds are not ready before the restart: node-b \(kube-multus-ds-g1-old-node-b: CrashLoopBackOff\)\. The restart replaces them too, but does not fix why they are not ready/.test(note)), run.notes.join('\n'));
	});

	test('Ctrl-C while a node is between its old pod and its new one: the controller finishes the rollout by itself, and that node is named as between pods, not as lost', async () => {
		const cluster = brokenThick();
		cluster.controller = 'between';
		const run = await runFlow(cluster, {yes: true, timeoutMs: 20_000}, {
			abortWhen: event => event.type === 'rollout-progress' && event.rollout.progress.pending.some(pending => pending.pod === 'no pod'),
		});
		assert.equal(run.outcome.verdict, 'cancelled');
		assert.equal(run.outcome.exitCode, 1);
		assert.match(run.outcome.message, /^Cancelled during rollout\. ClusterRole multus was patched and the DaemonSet restart was started; the DaemonSet controller finishes the rollout by itself \(kubectl -n kube-system rollout status ds\/kube-multus-ds\)\. At the stop node-a was between the old pod and the new one, which the controller creates\.$/);
		assert.doesNotMatch(run.outcome.message, /until the DaemonSet controller can create it/);
	});

	test('the controller cannot create the new pod (ServiceAccount deleted as the restart lands): the node that lost its pod is named, with the reason, and the rollout fails at once (exit 5), not "continues"', async () => {
		const cluster = brokenThick();
		cluster.fault('restartDaemonSet', {before: c => c.missingServiceAccounts.add('kube-system/multus')}, {matches: args => args[3] === false});
		const started = Date.now();
		const run = await runFlow(cluster, {yes: true, timeoutMs: 8000});
		assert.equal(run.outcome.exitCode, 5, run.outcome.message);
		assert.match(run.outcome.message, /^rollout of DaemonSet kube-system\/kube-multus-ds cannot finish: the DaemonSet controller fails to create the new pod for node-a, which has no Multus pod now: pods "kube-multus-ds-" is forbidden: error looking up service account kube-system\/multus: serviceaccount "multus" not found/);
		assert.doesNotMatch(run.outcome.message, /continues/);
		assert.match(run.outcome.message, /ClusterRole multus was patched and the DaemonSet restart was started; node-a has no Multus pod until the DaemonSet controller can create it\.$/);
		assert.match(run.state.failure?.hint ?? '', /^recreate ServiceAccount kube-system:multus \(kubectl -n kube-system create serviceaccount multus\); the controller then creates the missing pods by itself/);
		assert.ok(Date.now() - started < 7000, 'failed within seconds of the failure (half of --timeout at most), not at --timeout');
		const lost = run.state.rollout?.progress.pending.find(pending => pending.node === 'node-a');
		assert.equal(lost?.pod, 'no pod');
		assert.match(lost?.reason ?? '', /^no pod: the DaemonSet controller cannot create it \(pods "kube-multus-ds-" is forbidden/);
	});
});
