// The doctor's flow, every branch, against the in-memory cluster (no API server, milliseconds a run).
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1ClusterRole} from '@kubernetes/client-node';
import {MultusError} from '../../../source/errors.js';
import {restartedAtAnnotation} from '../../../source/kube/client.js';
import {changeAnnotation} from '../../../source/doctor/record.js';
import {rulesCover} from '../../../source/multus/rbac.js';
import {verifyLines} from '../../../source/doctor/present.js';
import {renderLine} from '../../../source/ansi.js';
import {brokenRules, brokenThick, forbiddenLine, healthyThick, multusUser, podsListWatch} from '../../helpers/fake-multus.js';
import {runFlow, type FlowRun} from '../../helpers/flow.js';
import type {FakeCluster} from '../../helpers/fake-cluster.js';

const patches = (cluster: FakeCluster, dryRun: boolean) => cluster.callsOf('patchClusterRole').filter(args => args[2] === dryRun);
const restarts = (cluster: FakeCluster) => cluster.callsOf('restartDaemonSet').filter(args => args[3] === false);
const grantsPods = (cluster: FakeCluster, role = 'multus') => rulesCover(cluster.role(role)?.rules ?? [], podsListWatch);
const skipped = (run: FlowRun) => Object.entries(run.state.steps).filter(([, status]) => status === 'skipped').map(([step]) => step);

/** Nothing was written: no patch, no restart. */
function assertUnchanged(cluster: FakeCluster): void {
	assert.equal(patches(cluster, false).length, 0, 'no patch');
	assert.equal(restarts(cluster).length, 0, 'no restart');
	assert.equal(grantsPods(cluster), false);
}

describe('the whole flow', () => {
	test('broken thick: detect, plan, patch, restart, rollout, verify; fixed', async () => {
		const cluster = brokenThick();
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
		assert.equal(run.outcome.exitCode, 0);
		assert.match(run.outcome.message, /^Fixed: system:serviceaccount:kube-system:multus may list and watch what Multus needs, and the 3 daemons read after the restart say so themselves: every informer synced, ready \(in 0\.0 s at most\), no forbidden line since they started\.$/);
		assert.equal(run.state.verification?.proof.state, 'proven');
		assert.equal(run.state.verification?.proof.mode, 'new');
		assert.deepEqual(run.state.verification?.proof.pods.map(pod => pod.state), ['proven', 'proven', 'proven']);
		assert.equal(run.state.diagnosis?.verdict, 'broken');
		assert.equal(run.state.diagnosis?.logs.count, 6);
		assert.deepEqual(run.state.diagnosis?.rules.missing, [podsListWatch]);
		assert.ok(grantsPods(cluster));
		assert.equal(patches(cluster, true).length, 1, 'one server-side dry run first');
		assert.equal(restarts(cluster).length, 1);
		assert.equal(run.state.rollout?.status.done, true);
		assert.equal(run.state.verification?.passed, true);
		assert.equal(run.state.verification?.logs.state, 'clean');
		assert.equal(run.asked, 1);
		assert.ok(Object.values(run.state.steps).every(status => status === 'done'), JSON.stringify(run.state.steps));
		// The change record is on the role, for undo.
		assert.ok(cluster.role('multus')?.metadata?.annotations?.[changeAnnotation]);
	});

	test('verify asks every blocking review again: a NAD watch another authorizer still denies after the patch is not fixed, named', async () => {
		const cluster = brokenThick();
		const authorize = cluster.subjectAccess.bind(cluster);
		let verifying = false;
		// As a webhook authorizer that denies what the roles grant would answer, once the patch is in.
		cluster.subjectAccess = async (user, groups, attributes) =>
			verifying && attributes.resource === 'network-attachment-definitions' && attributes.verb === 'watch' ? {allowed: false, reason: 'denied by the webhook authorizer'} : authorize(user, groups, attributes);
		const run = await runFlow(cluster, {}, {onEvent: event => event.type === 'step-started' && event.step === 'verify' && (verifying = true)});
		assert.equal(run.outcome.verdict, 'problem', run.outcome.message);
		assert.equal(run.outcome.exitCode, 1);
		assert.equal(run.outcome.message, 'Patched, but verification failed: the access review still denies watch on network-attachment-definitions.k8s.cni.cncf.io at cluster scope.');
		const reviews = run.state.verification?.checks.map(check => `${check.id} ${check.status}`);
		assert.deepEqual(reviews, ['pods-list-access pass', 'pods-watch-access pass', 'network-attachment-definitions-list-access pass', 'network-attachment-definitions-watch-access fail']);
	});

	test('the release decides: a pinned v4.0.2-thick image runs no informer, so its get/update role is healthy', async () => {
		const cluster = brokenThick({forbiddenLogs: false});
		cluster.daemonSets[0]!.spec!.template.spec!.containers[0]!.image = 'ghcr.io/k8snetworkplumbingwg/multus-cni:v4.0.2-thick';
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'healthy', run.outcome.message);
		assert.equal(run.state.found?.daemonSet.release.release.version, 'v4.0.2');
		assert.deepEqual(run.state.diagnosis?.rules.missing, []);
	});

	test('the NAD grant cut to get (multus-cni v4.0.2 manifest edited): pods and NADs list/watch are both added, in one patch', async () => {
		const rules = structuredClone(brokenRules);
		rules[0] = {apiGroups: ['k8s.cni.cncf.io'], resources: ['*'], verbs: ['get']};
		const cluster = brokenThick({role: {metadata: {name: 'multus'}, rules}});
		const run = await runFlow(cluster);
		const nads = {apiGroups: ['k8s.cni.cncf.io'], resources: ['network-attachment-definitions'], verbs: ['list', 'watch']};
		assert.deepEqual(run.state.diagnosis?.rules.missing, [podsListWatch, nads]);
		assert.equal(patches(cluster, false).length, 1);
		assert.ok(rulesCover(cluster.role('multus')?.rules ?? [], nads));
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
	});

	test('healthy: nothing after detect runs, exit 0, nothing written', async () => {
		const cluster = healthyThick();
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'healthy');
		assert.equal(run.outcome.exitCode, 0);
		assert.match(run.outcome.message, /^Healthy: system:serviceaccount:kube-system:multus can list and watch pods cluster-wide\.$/);
		assert.deepEqual(skipped(run), ['plan', 'confirm', 'patch', 'restart', 'rollout', 'verify']);
		assert.equal(run.asked, 0);
		assert.equal(patches(cluster, false).length + patches(cluster, true).length, 0);
	});
});

describe('conflict re-plan', () => {
	test('someone writes the role between plan and patch: the guard fails, the flow plans again and patches the new role', async () => {
		const cluster = brokenThick();
		const configMaps = {apiGroups: [''], resources: ['configmaps'], verbs: ['get']};
		cluster.fault('patchClusterRole', {before: c => c.writeRole('multus', role => role.rules!.push(configMaps))}, {matches: args => args[2] === false});
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
		const conflicts = run.events.filter(event => event.type === 'conflict');
		assert.equal(conflicts.length, 1);
		assert.match(conflicts[0]!.type === 'conflict' ? conflicts[0]!.note : '', /^ClusterRole multus changed while we were asking \(someone else wrote it\): re-reading it and planning again\.$/);
		assert.equal(run.events.filter(event => event.type === 'planned').length, 2);
		assert.equal(run.asked, 2, 'asked again about the new plan');
		assert.equal(run.state.patch?.attempts, 2);
		// Nothing of the other writer's change is lost.
		assert.ok(rulesCover(cluster.role('multus')!.rules!, configMaps));
		assert.ok(grantsPods(cluster));
	});

	test('someone writes the role between its read and the dry run of the patch: the flow plans again, not a failure', async () => {
		const cluster = brokenThick();
		cluster.fault('patchClusterRole', {before: c => c.writeRole('multus', () => {})}, {matches: args => args[2] === true, times: 1});
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
		const conflicts = run.events.flatMap(event => (event.type === 'conflict' ? [event.note] : []));
		assert.deepEqual(conflicts, ['ClusterRole multus changed while the doctor was planning (someone else wrote it): re-reading it and planning again.']);
		assert.equal(run.events.filter(event => event.type === 'planned').length, 1, 'the first plan was never shown: its dry run failed');
		assert.equal(run.asked, 1);
		assert.ok(grantsPods(cluster));
	});

	test('the role keeps changing while planning: after three attempts the conflict is the failure, nothing changed', async () => {
		const cluster = brokenThick();
		cluster.fault('patchClusterRole', {before: c => c.writeRole('multus', () => {})}, {matches: args => args[2] === true, times: 3});
		const run = await runFlow(cluster);
		assert.deepEqual([run.outcome.verdict, run.state.failure?.kind, run.state.failure?.step], ['failed', 'Conflict', 'plan']);
		assert.equal(run.events.filter(event => event.type === 'conflict').length, 2);
		assert.equal(run.asked, 0);
		assert.equal(cluster.callsOf('patchClusterRole').filter(args => args[2] === false).length, 0);
	});

	test('the role keeps changing: after three attempts the conflict is the failure', async () => {
		const cluster = brokenThick();
		cluster.fault('patchClusterRole', {before: c => c.writeRole('multus', () => {})}, {matches: args => args[2] === false, times: 3});
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'failed');
		assert.equal(run.state.failure?.kind, 'Conflict');
		assert.equal(run.state.failure?.step, 'patch');
		assert.equal(run.events.filter(event => event.type === 'conflict').length, 2);
		assert.match(run.outcome.message, /Nothing in the cluster was changed\.$/);
	});
});

describe('the gate, in order', () => {
	const managed = (extra: Record<string, string> = {}): V1ClusterRole => ({
		metadata: {name: 'multus', labels: {'app.kubernetes.io/managed-by': 'Helm'}, annotations: {'meta.helm.sh/release-name': 'multus', ...extra}},
		rules: structuredClone(brokenRules),
	});

	test('--check first: even a managed role that opted out only reports the fix', async () => {
		const cluster = brokenThick({role: managed({'rbac.authorization.kubernetes.io/autoupdate': 'false'})});
		const run = await runFlow(cluster, {check: true});
		assert.equal(run.outcome.verdict, 'problem');
		assert.equal(run.outcome.exitCode, 1);
		assert.match(run.outcome.message, /^Problem found \(--check: nothing changed\)\. Fix: pods \[""\]: list, watch on ClusterRole multus; run without --check to apply\.$/);
		assert.deepEqual(skipped(run), ['patch', 'restart', 'rollout', 'verify']);
		assert.equal(run.asked, 0);
		assert.equal(patches(cluster, true).length, 0, '--check makes no dry run either');
		assert.equal(cluster.callsOf('selfAccess').length, 0, 'nor asks about permissions');
		assertUnchanged(cluster);
	});

	test('then autoupdate "false": never written, even with --force, before the owner', async () => {
		const cluster = brokenThick({role: managed({'rbac.authorization.kubernetes.io/autoupdate': 'false'})});
		const run = await runFlow(cluster, {force: true});
		assert.equal(run.outcome.verdict, 'managed');
		assert.match(run.outcome.message, /^ClusterRole multus opted out of automatic updates \(rbac\.authorization\.kubernetes\.io\/autoupdate: "false"\)/);
		assert.equal(run.asked, 0);
		assertUnchanged(cluster);
	});

	test('then the owner: a Helm-managed role is not patched without --force', async () => {
		const cluster = brokenThick({role: managed()});
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'managed');
		assert.match(run.outcome.message, /^ClusterRole multus is managed by Helm release multus; a manual patch would be reverted\. Fix it at the source: .*\(--force patches it anyway\.\)$/);
		assert.equal(run.asked, 0);
		assertUnchanged(cluster);
	});

	test('--force on a managed role goes on to the question and patches', async () => {
		const cluster = brokenThick({role: managed()});
		const run = await runFlow(cluster, {force: true});
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
		assert.ok(grantsPods(cluster));
	});

	test('then permissions: lacking patch on the role is a Forbidden failure naming what to grant, even with --dry-run=server', async () => {
		const cluster = brokenThick();
		cluster.selfDenied.push({verb: 'patch', resource: 'clusterroles'});
		const run = await runFlow(cluster, {dryRun: 'server'});
		assert.equal(run.outcome.verdict, 'failed');
		assert.equal(run.state.failure?.kind, 'Forbidden');
		assert.equal(run.state.failure?.step, 'confirm');
		assert.match(run.state.failure!.message, /^you lack permission to apply the fix: patch ClusterRole multus$/);
		assert.match(run.state.failure!.hint!, /^ask an admin to grant: clusterroles\.rbac\.authorization\.k8s\.io "multus": patch$/);
		assert.equal(run.outcome.exitCode, new MultusError('Forbidden', '').exitCode);
		assert.equal(patches(cluster, true).length, 0, 'no server dry run without the permission');
		assertUnchanged(cluster);
	});

	test('lacking only pods/log (optional) does not stop the fix', async () => {
		const cluster = brokenThick();
		cluster.selfDenied.push({resource: 'pods', subresource: 'log'});
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
	});

	test('lacking the pods verbs it would grant (RBAC escalation) and escalate: Forbidden', async () => {
		const cluster = brokenThick();
		cluster.selfDenied.push({verb: 'watch', resource: 'pods'}, {verb: 'escalate'});
		const run = await runFlow(cluster);
		assert.equal(run.state.failure?.kind, 'Forbidden');
		assert.match(run.state.failure!.message, /grant watch pods \(RBAC lets you grant only what you hold yourself, or with escalate\)/);
		assertUnchanged(cluster);
	});

	test('--dry-run=client: permissions are not needed; nothing is sent', async () => {
		const cluster = brokenThick();
		cluster.selfDenied.push({verb: 'patch'});
		const run = await runFlow(cluster, {dryRun: 'client'});
		assert.equal(run.outcome.verdict, 'dry-run');
		assert.match(run.outcome.message, /^Dry run \(client\): nothing changed\. Run without --dry-run to apply\.$/);
		assert.equal(patches(cluster, true).length, 0);
		assertUnchanged(cluster);
	});

	test('--dry-run=server: the server accepts the exact patch, nothing is stored', async () => {
		const cluster = brokenThick();
		const run = await runFlow(cluster, {dryRun: 'server'});
		assert.equal(run.outcome.verdict, 'dry-run');
		assert.match(run.outcome.message, /^Dry run \(server, accepted by the API server\): nothing changed\./);
		assert.equal(patches(cluster, true).length, 1);
		assert.equal(run.asked, 0);
		assertUnchanged(cluster);
	});

	test('last, the question: declined changes nothing, exit 1', async () => {
		const cluster = brokenThick();
		const run = await runFlow(cluster, {}, {answer: false});
		assert.equal(run.outcome.verdict, 'declined');
		assert.equal(run.outcome.exitCode, 1);
		assert.equal(run.outcome.message, 'Nothing was changed: without a terminal, changes need --yes (or use --dry-run to preview).');
		assert.deepEqual(skipped(run), ['patch', 'restart', 'rollout', 'verify']);
		assertUnchanged(cluster);
		const interactive = await runFlow(brokenThick(), {interactive: true}, {answer: false});
		assert.equal(interactive.outcome.message, 'Declined: nothing was changed.');
	});

	test('the role already grants the rules yet the review denies: nothing to patch; --check says so', async () => {
		// The binding names the role, but the role covers pods only once aggregated elsewhere: here, the access review is scripted to deny.
		const cluster = healthyThick();
		cluster.fault('subjectAccess', {answer: {allowed: false, reason: 'scripted'}}, {times: 2});
		const run = await runFlow(cluster, {check: true});
		assert.equal(run.outcome.verdict, 'problem');
		assert.match(run.outcome.message, /^Problem found \(--check: nothing changed\): ClusterRole multus already grants the rules, yet the access review denies list\/watch on pods\.$/);
	});
});

describe('the aggregate choice', () => {
	const aggregate = (): V1ClusterRole => ({metadata: {name: 'multus'}, aggregationRule: {clusterRoleSelectors: [{matchLabels: {'multus.example/aggregate-to': 'multus'}}]}, rules: []});
	const source = (name: string, rules: V1ClusterRole['rules']): V1ClusterRole => ({metadata: {name, labels: {'multus.example/aggregate-to': 'multus'}}, rules});
	const nadRules = [{apiGroups: ['k8s.cni.cncf.io'], resources: ['*'], verbs: ['*']}];
	const podRules = [{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'update']}];

	test('the only source with rules on pods is patched, and the aggregate then grants them', async () => {
		const cluster = brokenThick({role: aggregate(), otherRoles: [source('multus-a-nads', nadRules), source('multus-b-pods', podRules)]});
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
		assert.deepEqual(run.state.plan?.aggregate, {role: 'multus', source: 'multus-b-pods', sources: ['multus-a-nads', 'multus-b-pods'], why: 'the only source with rules on pods'});
		assert.equal(run.state.plan?.role, 'multus-b-pods');
		assert.deepEqual(patches(cluster, false).map(args => args[0]), ['multus-b-pods']);
		assert.ok(grantsPods(cluster, 'multus-b-pods'));
		assert.ok(grantsPods(cluster, 'multus'));
	});

	test('several sources with rules on pods: the first by name', async () => {
		const cluster = brokenThick({role: aggregate(), otherRoles: [source('multus-z', podRules), source('multus-m', podRules), source('multus-a', nadRules)]});
		const run = await runFlow(cluster, {check: true});
		assert.equal(run.state.plan?.aggregate?.source, 'multus-m');
		assert.equal(run.state.plan?.aggregate?.why, 'the first by name of the sources with rules on pods (multus-m, multus-z)');
	});

	test('no source has rules on pods: the first source by name', async () => {
		const cluster = brokenThick({role: aggregate(), otherRoles: [source('multus-b', nadRules), source('multus-a', nadRules)]});
		const run = await runFlow(cluster, {check: true});
		assert.equal(run.state.plan?.aggregate?.source, 'multus-a');
		assert.equal(run.state.plan?.aggregate?.why, 'no source has rules on pods; the first source by name');
	});

	test('an aggregate without sources: Invalid, with how to make one', async () => {
		const cluster = brokenThick({role: aggregate()});
		const run = await runFlow(cluster);
		assert.equal(run.state.failure?.kind, 'Invalid');
		assert.equal(run.state.failure?.step, 'plan');
		assert.match(run.state.failure!.message, /^ClusterRole multus is aggregated and has no source role to patch$/);
	});
});

describe('writes that get no answer', () => {
	test('the patch lands but its answer is lost: read back, found ours, not sent again', async () => {
		const cluster = brokenThick();
		cluster.fault('patchClusterRole', 'lose-answer', {matches: args => args[2] === false});
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
		assert.equal(patches(cluster, false).length, 1);
		assert.match(run.notes[0]!, /^The patch of ClusterRole multus got no answer \(no answer from the API server at https:\/\/fake\.invalid in time\): reading the role back to see whether it landed\.$/);
		assert.match(run.notes[1]!, /^ClusterRole multus carries this run's change record and the added rules \(resourceVersion \d+\): the patch landed; only its answer was lost\.$/);
	});

	test('the patch does not land: read back unchanged, sent again once', async () => {
		const cluster = brokenThick();
		cluster.fault('patchClusterRole', 'no-answer', {matches: args => args[2] === false});
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
		assert.equal(patches(cluster, false).length, 2);
		assert.match(run.notes[1]!, /: the patch did not land; sending it again \(it is guarded by that resourceVersion, so it cannot apply twice\)\.$/);
	});

	test('the restart gets no answer and did not land: read back, sent again with the same restartedAt', async () => {
		const cluster = brokenThick();
		cluster.fault('restartDaemonSet', 'no-answer');
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
		const sent = restarts(cluster);
		assert.equal(sent.length, 2);
		assert.equal(sent[0]![2], sent[1]![2], 'the same restartedAt value');
		assert.match(run.notes.join('\n'), /The restart of DaemonSet kube-system\/kube-multus-ds got no answer/);
		assert.match(run.notes.join('\n'), /the restart did not land; sending it again/);
	});

	test('the restart lands but its answer is lost: read back, not restarted twice', async () => {
		const cluster = brokenThick();
		cluster.fault('restartDaemonSet', 'lose-answer');
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
		assert.equal(restarts(cluster).length, 1);
		assert.match(run.notes.join('\n'), /pod template carries restartedAt .*: the restart landed; only its answer was lost\./);
		assert.ok(cluster.daemonSet('kube-system', 'kube-multus-ds')?.spec?.template.metadata?.annotations?.[restartedAtAnnotation]);
	});

	test('the server stays silent through --timeout: the patch may or may not have been applied, and the message says so', async () => {
		const cluster = brokenThick();
		cluster.fault('patchClusterRole', 'no-answer', {matches: args => args[2] === false});
		const run = await runFlow(cluster, {timeoutMs: 30}, {onEvent: event => event.type === 'step-started' && event.step === 'patch' && cluster.fault('readClusterRole', 'no-answer', {times: Number.POSITIVE_INFINITY})});
		assert.equal(run.outcome.verdict, 'failed');
		assert.equal(run.state.failure?.kind, 'Timeout');
		assert.match(run.outcome.message, /ClusterRole multus may or may not have been patched \(the request got no answer\): kubectl get clusterrole multus -o yaml shows it/);
	});

	test('Ctrl-C while the patch is being read back: cancelled, and still in doubt', async () => {
		const cluster = brokenThick();
		cluster.fault('patchClusterRole', 'no-answer', {matches: args => args[2] === false});
		const run = await runFlow(cluster, {timeoutMs: 0}, {
			onEvent: event => event.type === 'step-started' && event.step === 'patch' && cluster.fault('readClusterRole', 'hang', {times: 1000}),
			abortWhen: event => event.type === 'note' && /got no answer/.test(event.note),
		});
		assert.equal(run.outcome.verdict, 'cancelled');
		assert.match(run.outcome.message, /^Cancelled during patch\. ClusterRole multus may or may not have been patched/);
	});
});

describe('restart and rollout', () => {
	test('the rollout does not finish within --timeout: the failure names the nodes still pending and why', async () => {
		const cluster = brokenThick();
		cluster.controller = 'stuck';
		const run = await runFlow(cluster, {timeoutMs: 400});
		assert.equal(run.outcome.verdict, 'failed');
		assert.equal(run.state.failure?.kind, 'RolloutFailed');
		assert.equal(run.state.failure?.step, 'rollout');
		assert.match(
			run.state.failure!.message,
			/^rollout of DaemonSet kube-system\/kube-multus-ds did not finish within \S+: Waiting for daemon set "kube-multus-ds" rollout to finish: 1 out of 3 new pods have been updated\.\.\. Still pending on 3 node\(s\): node-a \(kube-multus-ds-g2-node-a: ContainerCreating\), node-b \(kube-multus-ds-g1-old-node-b: old pod, not yet replaced\), node-c \(kube-multus-ds-g1-old-node-c: old pod, not yet replaced\)$/,
		);
		assert.match(run.state.failure!.hint!, /^the ClusterRole fix is in place; the rollout continues in the background/);
		assert.match(run.outcome.message, /ClusterRole multus was patched and the DaemonSet restart was started/);
		assert.ok(grantsPods(cluster), 'the patch stays');
	});

	test('OnDelete: no restart and no wait, a note with how to restart node by node; verify still runs', async () => {
		const cluster = brokenThick({strategy: 'OnDelete'});
		const run = await runFlow(cluster);
		assert.equal(restarts(cluster).length, 0);
		assert.equal(run.state.steps.restart, 'skipped');
		assert.equal(run.state.steps.rollout, 'skipped');
		assert.match(run.notes.join('\n'), /DaemonSet kube-system\/kube-multus-ds uses the OnDelete update strategy: .* kubectl -n kube-system delete pod -l name=multus --field-selector spec\.nodeName=NODE/);
		// The old pods' forbidden lines came at the same moment: no retry gap to go by, so the reflector's longest
		// (60 s) must pass in silence, longer than this run's --timeout 2s allows: patched, not proven.
		assert.equal(run.outcome.verdict, 'unproven', run.outcome.message);
		assert.equal(run.outcome.exitCode, 7);
		assert.equal(run.state.verification?.proof.mode, 'running');
		assert.match(run.outcome.message, /^Patched, not proven: .*not proven within 2 s \(last seen: no forbidden line since the fix; waiting past its reflector's next retry/);
	});

	test('--no-restart: patched, restart and rollout skipped with a note, and no permission asked for the DaemonSet', async () => {
		const cluster = brokenThick();
		// The running daemons retried 100 ms apart before the fix: silence for four such gaps (plus 1 s) proves the retry came and passed.
		for (const name of cluster.logs.keys()) cluster.logs.set(name, forbiddenLine('list', '2026-11-24T22:19:49.000000000Z') + forbiddenLine('list', '2026-11-24T22:19:49.100000000Z'));
		const run = await runFlow(cluster, {restart: false});
		assert.equal(run.state.verification?.proof.mode, 'running');
		// Past the retry gap and still no denial: said, but a daemon that was not restarted cannot prove it (exit 7).
		assert.equal(run.outcome.verdict, 'unproven', run.outcome.message);
		assert.equal(run.outcome.exitCode, 7);
		assert.match(run.outcome.message, /^Patched, not proven: .*no forbidden line in the \d+ s since the fix, longer than its reflector's retry gap, but a daemon that was not restarted prints nothing when its informers recover/);
		assert.equal(restarts(cluster).length, 0);
		assert.deepEqual(skipped(run), ['restart', 'rollout']);
		assert.match(run.notes.join('\n'), /^--no-restart: DaemonSet kube-system\/kube-multus-ds not restarted\. .*kubectl -n kube-system rollout restart ds\/kube-multus-ds\.$/m);
		assert.ok(!cluster.callsOf('selfAccess').some(args => (args[0] as {resource?: string}).resource === 'daemonsets'));
	});

	test('--no-restart, and a running daemon is still denied after the fix: not fixed, in its own words', async () => {
		const cluster = brokenThick();
		const later = new Date(Date.now() + 60_000).toISOString();
		for (const name of cluster.logs.keys()) cluster.logs.set(name, forbiddenLine('list', '2026-11-24T22:19:49.000000000Z') + forbiddenLine('list', later));
		const run = await runFlow(cluster, {restart: false});
		assert.equal(run.outcome.verdict, 'problem', run.outcome.message);
		assert.equal(run.outcome.exitCode, 1);
		assert.match(run.outcome.message, /^Patched, but the daemons say it is not fixed: .*it is still denied/);
	});

	test('the v4.0.2 manifest\'s daemon config (no logToStderr): the new daemons are free of denials, but not proven, and the setting is named', async () => {
		const cluster = brokenThick();
		cluster.daemonSets[0]!.spec!.template.spec!.volumes = [{name: 'multus-daemon-config', configMap: {name: 'multus-daemon-config'}}];
		cluster.configMaps.push({metadata: {namespace: 'kube-system', name: 'multus-daemon-config'}, data: {'daemon-config.json': JSON.stringify({socketDir: '/host/run/multus/', logLevel: 'verbose', multusConfigFile: 'auto'})}});
		// Hidden start-up lines: a real daemon under fixed RBAC then prints nothing at all.
		cluster.newPodLog = '';
		const run = await runFlow(cluster);
		assert.equal(run.state.found?.daemonSet.daemonLog.startupLines, 'hidden');
		assert.equal(run.outcome.verdict, 'unproven', run.outcome.message);
		assert.equal(run.outcome.exitCode, 7);
		assert.match(run.outcome.message, /no denial in \d+ s since it started, but ConfigMap multus-daemon-config \(daemon-config\.json\) does not set "logToStderr": true/);
	});

	test('a new daemon that prints nothing: patched, not proven (exit 7), never clean', async () => {
		const cluster = brokenThick();
		cluster.newPodLog = '';
		const run = await runFlow(cluster, {timeoutMs: 1500});
		assert.equal(run.outcome.verdict, 'unproven', run.outcome.message);
		assert.equal(run.outcome.exitCode, 7);
		assert.match(run.outcome.message, /^Patched, not proven: kube-multus-ds-g2-node-a on node-a: it printed nothing in \d+ s\./);
	});

	test('Ctrl-C while Verify waits for the new daemons: patched, not proven (exit 7), said as stopped by the user, how far it got, and how to prove it later', async () => {
		const cluster = brokenThick();
		let restarted = false;
		const run = await runFlow(cluster, {timeoutMs: 20_000}, {
			onEvent: event => {
				if (event.type !== 'restarted' || restarted) return;
				restarted = true;
				// node-a's new daemon syncs; node-b's and node-c's logs are not served yet (their containers are starting).
				cluster.fault('readPodLog', {error: new MultusError('NotFound', 'container "kube-multus" in pod is waiting to start: ContainerCreating')}, {matches: args => !String(args[1]).endsWith('node-a'), times: 10_000});
			},
			abortWhen: event => event.type === 'proof-progress' && event.proof.pods.some(pod => pod.state === 'proven'),
		});
		assert.deepEqual([run.outcome.verdict, run.outcome.exitCode, run.outcome.code], ['unproven', 7, 'MULTUS-VERIFY-003'], run.outcome.message);
		assert.match(run.outcome.message, /^Patched, not proven: the proof was stopped by the user \(Ctrl-C\) after \d+\.\d s, with 1 of 3 new daemons proven\. The fix is applied: ClusterRole multus was patched and DaemonSet kube-system\/kube-multus-ds was restarted\. To prove it later, run kubectl multus doctor --check again, or read the daemons' logs \(kubectl logs -n kube-system POD\)\.$/);
		assert.doesNotMatch(run.outcome.message, /ContainerCreating/, 'a pending pod\'s reason is not the verdict');
		const proof = run.state.verification!.proof;
		assert.deepEqual([proof.state, proof.stopped, proof.stoppedBy], ['unproven', true, {signal: 'SIGINT', fromTerminal: true}]);
		assert.deepEqual(proof.pods.map(pod => pod.state), ['proven', 'pending', 'pending']);
		assert.match(renderLine(verifyLines(run.state.verification, run.state.found).find(line => renderLine(line, false).includes("daemons' own words"))!, false), /1 of 3 proven {2}stopped by Ctrl-C at \d+\.\d s/);
	});

	for (const [stopBy, words, short] of [
		[{signal: 'SIGTERM', fromTerminal: false}, 'stopped by SIGTERM', 'stopped by SIGTERM'],
		[{signal: 'SIGHUP', fromTerminal: false}, 'stopped by SIGHUP', 'stopped by SIGHUP'],
		[{signal: 'SIGINT', fromTerminal: false}, 'stopped by SIGINT', 'stopped by SIGINT'],
	] as const) {
		test(`${stopBy.signal} ${stopBy.fromTerminal ? 'from' : 'without'} a terminal while Verify waits: the same exit 7, and the words name ${stopBy.signal}, never Ctrl-C or the user`, async () => {
			const cluster = brokenThick();
			let restarted = false;
			const run = await runFlow(cluster, {timeoutMs: 20_000}, {
				onEvent: event => {
					if (event.type !== 'restarted' || restarted) return;
					restarted = true;
					cluster.fault('readPodLog', {error: new MultusError('NotFound', 'container "kube-multus" in pod is waiting to start: ContainerCreating')}, {matches: args => !String(args[1]).endsWith('node-a'), times: 10_000});
				},
				abortWhen: event => event.type === 'proof-progress' && event.proof.pods.some(pod => pod.state === 'proven'),
				stopBy,
			});
			assert.deepEqual([run.outcome.verdict, run.outcome.exitCode, run.outcome.code], ['unproven', 7, 'MULTUS-VERIFY-003'], run.outcome.message);
			assert.match(run.outcome.message, new RegExp(`^Patched, not proven: the proof was ${words} after \\d+\\.\\d s, with 1 of 3 new daemons proven\\. The fix is applied: ClusterRole multus was patched`));
			assert.doesNotMatch(run.outcome.message, /Ctrl-C|by the user/);
			const proof = run.state.verification!.proof;
			assert.deepEqual([proof.stopped, proof.stoppedBy], [true, stopBy], 'the report says what stopped it');
			const head = renderLine(verifyLines(run.state.verification, run.state.found).find(line => renderLine(line, false).includes("daemons' own words"))!, false);
			assert.match(head, new RegExp(`1 of 3 proven {2}${short} at \\d+\\.\\d s`));
			assert.doesNotMatch(head, /Ctrl-C/);
		});
	}

	test('a new daemon whose NAD informer is still denied: not fixed, whatever the pods rules say', async () => {
		const cluster = brokenThick();
		cluster.newPodLog = `${new Date().toISOString()} 2026-12-01T00:00:00Z [verbose] multus-daemon started\n${new Date().toISOString()} W1201 08:49:55.078260 4639 reflector.go:569] x/factory.go:117: failed to list *v1.NetworkAttachmentDefinition: network-attachment-definitions.k8s.cni.cncf.io is forbidden: User "${multusUser}" cannot list resource "network-attachment-definitions" in API group "k8s.cni.cncf.io" at the cluster scope\n`;
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'problem', run.outcome.message);
		assert.match(run.outcome.message, /it is still denied list on network-attachment-definitions\.k8s\.cni\.cncf\.io \(its NetworkAttachmentDefinition informer\): .*cannot list resource "network-attachment-definitions"/);
	});

	test('the new pods still log the forbidden error: patched, but not verified', async () => {
		const cluster = brokenThick();
		cluster.newPodLog = brokenThick().logs.values().next().value!;
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'problem');
		assert.match(run.outcome.message, /^Patched, but the daemons say it is not fixed: kube-multus-ds-g2-node-a on node-a: it is still denied list on pods \(its pod informer\): .*pods is forbidden.* \(2 such lines\)\.$/);
		assert.equal(run.state.verification?.proof.state, 'failing');
	});

	test('the DaemonSet is deleted during the rollout: RolloutFailed, and how to recover', async () => {
		const cluster = brokenThick();
		cluster.controller = 'none';
		const run = await runFlow(cluster, {}, {
			onEvent: event => {
				if (event.type === 'step-started' && event.step === 'rollout') setTimeout(() => cluster.deleteDaemonSet('kube-system', 'kube-multus-ds'), 5);
			},
		});
		assert.equal(run.state.failure?.kind, 'RolloutFailed');
		assert.equal(run.state.failure?.message, 'DaemonSet kube-system/kube-multus-ds was deleted during the rollout');
		assert.equal(cluster.openWatches(), 0, 'the watch is closed');
	});
});

describe('find', () => {
	test('a DaemonSet named with --daemonset that discovery does not recognise is described by the same rules', async () => {
		const cluster = brokenThick();
		const ds = cluster.daemonSet('kube-system', 'kube-multus-ds')!;
		ds.metadata!.name = 'netd';
		ds.metadata!.labels = {};
		ds.spec!.template.metadata!.labels = {name: 'multus'};
		ds.spec!.template.spec!.containers = [{name: 'netd', image: 'registry.example/cni/multus-netd:v4.2.0-thick', command: ['/bin/netd']}];
		ds.spec!.template.spec!.serviceAccountName = undefined;
		ds.spec!.template.spec!.serviceAccount = 'multus';
		const unnamed = await runFlow(cluster, {check: true});
		assert.equal(unnamed.state.failure?.kind, 'NotFound', 'not recognised without --daemonset');
		const run = await runFlow(cluster, {check: true, daemonSet: 'netd'});
		const {release, ...described} = run.state.found!.daemonSet;
		assert.equal(release.release.version, 'v4.2.0', 'the release read from the tag');
		assert.deepEqual(described, {
			namespace: 'kube-system',
			name: 'netd',
			uid: ds.metadata!.uid,
			mode: 'thick',
			container: 'netd',
			image: 'registry.example/cni/multus-netd:v4.2.0-thick',
			version: 'v4.2.0-thick',
			serviceAccount: 'multus',
			evidence: ['named with --daemonset'],
			perNodeCertificates: false,
			daemonLog: {startupLines: 'unknown'},
		});
		assert.equal(run.outcome.verdict, 'problem', run.outcome.message);
	});

	test('two Multus installs: a usage error naming both', async () => {
		const cluster = brokenThick();
		const second = structuredClone(cluster.daemonSet('kube-system', 'kube-multus-ds')!);
		second.metadata!.namespace = 'multus';
		cluster.addDaemonSet(second);
		const run = await runFlow(cluster);
		assert.equal(run.state.failure?.kind, 'Usage');
		assert.equal(run.state.failure?.message, 'Multus is installed more than once: kube-system/kube-multus-ds (thick), multus/kube-multus-ds (thick)');
	});
});
