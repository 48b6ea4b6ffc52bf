// Issue 12 item 2: the fix never widens access for other subjects. A role Multus shares with others is left alone;
// the rules go to a dedicated ClusterRole and binding for the Multus identity alone, which undo removes again.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {runUndo} from '../../../source/commands/undo.js';
import {MultusError} from '../../../source/errors.js';
import {changeAnnotation, readRecord} from '../../../source/doctor/record.js';
import {confirmLines, patchedLine, planLines, summaryLines} from '../../../source/doctor/present.js';
import {emitResult} from '../../../source/commands/doctor.js';
import {doctorReport} from '../../../source/doctor/report.js';
import {serviceAccountIdentity} from '../../../source/multus/discovery.js';
import {renderLine} from '../../../source/ansi.js';
import {doctorOptions} from '../../helpers/doctor-fixtures.js';
import type {FakeCluster} from '../../helpers/fake-cluster.js';
import {brokenRules, brokenThick} from '../../helpers/fake-multus.js';
import {runFlow, undoEnv} from '../../helpers/flow.js';

const dedicated = 'kubectl-multus:kube-system:kube-multus-ds';
const webapp = serviceAccountIdentity('default', 'webapp');
const multus = serviceAccountIdentity('kube-system', 'multus');
const listPods = {verb: 'list', resource: 'pods'};

/** The case: the Multus role is bound to kube-system:multus and default:webapp in one binding. */
function sharedThick(): FakeCluster {
	const cluster = brokenThick();
	cluster.bindings[0]!.subjects!.push({kind: 'ServiceAccount', name: 'webapp', namespace: 'default'});
	return cluster;
}


describe('a role Multus shares with others', () => {
	test('is left alone: a dedicated ClusterRole and binding give list/watch to Multus alone; webapp gains nothing', async () => {
		const cluster = sharedThick();
		assert.equal(cluster.authorize(webapp, listPods).allowed, false);
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
		assert.deepEqual(cluster.role('multus')?.rules, brokenRules, 'the shared role is not touched');
		assert.equal(cluster.callsOf('patchClusterRole').length, 0);
		assert.equal(cluster.authorize(webapp, listPods).allowed, false, 'webapp gained nothing');
		assert.equal(cluster.authorize(multus, listPods).allowed, true);
		const role = cluster.role(dedicated)!;
		assert.deepEqual(role.rules, [{apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']}]);
		assert.equal(role.metadata?.labels?.['app.kubernetes.io/managed-by'], 'kubectl-multus');
		const binding = cluster.bindings.find(b => b.metadata?.name === dedicated)!;
		assert.deepEqual(binding.subjects, [{kind: 'ServiceAccount', name: 'multus', namespace: 'kube-system'}]);
		const record = readRecord(role);
		assert.equal(record.state, 'valid');
		assert.deepEqual(record.state === 'valid' && record.record.dedicated, {binding: dedicated, subjects: binding.subjects});
		// A server-side dry run of both creations came first.
		assert.deepEqual(cluster.callsOf('createClusterRole').map(args => args[1]), [true, false]);
		assert.deepEqual(cluster.callsOf('createClusterRoleBinding').map(args => args[1]), [true, false]);
		assert.match(run.state.verification?.undo ?? '', /deletes ClusterRole kubectl-multus:kube-system:kube-multus-ds and ClusterRoleBinding kubectl-multus:kube-system:kube-multus-ds, which it created/);
	});

	test('before asking, the plan says who else is bound and every subject who gains anything', async () => {
		const cluster = sharedThick();
		const run = await runFlow(cluster, {check: true});
		const text = planLines(run.state.plan, run.state.diagnosis).map(line => renderLine(line, false)).join('\n');
		assert.match(text, /ClusterRole multus now \(bound to others too; left as it is\):/);
		assert.match(text, /! ClusterRole multus is also bound to ServiceAccount default:webapp \(ClusterRoleBinding multus\): not patched, so they gain nothing/);
		assert.match(text, /\+ ClusterRole kubectl-multus:kube-system:kube-multus-ds: pods \[""\]: list, watch/);
		assert.match(text, /\+ ClusterRoleBinding kubectl-multus:kube-system:kube-multus-ds: ClusterRole kubectl-multus:kube-system:kube-multus-ds to ServiceAccount kube-system:multus/);
		assert.deepEqual(run.state.plan?.gains, ['ServiceAccount kube-system:multus (ClusterRoleBinding kubectl-multus:kube-system:kube-multus-ds)']);
		assert.equal(text.match(/granted to: /g)?.length, 1, 'nobody else gains');
		assert.match(run.outcome.message, /in a new ClusterRole kubectl-multus:kube-system:kube-multus-ds bound to the Multus identity alone \(ClusterRole multus is bound to others too\)/);
		assert.equal(cluster.callsOf('createClusterRole').length, 0, '--check creates nothing, not even a dry run');
	});

	test('a role bound to Multus alone is patched as before, and the plan names who gains', async () => {
		const cluster = brokenThick();
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'fixed');
		assert.equal(cluster.role(dedicated), undefined);
		assert.deepEqual(run.state.plan?.gains, ['ServiceAccount kube-system:multus (ClusterRoleBinding multus)']);
	});

	test('a RoleBinding of the Multus role to someone else in one namespace makes it shared as well', async () => {
		const cluster = brokenThick();
		cluster.addRoleBinding({metadata: {namespace: 'team-a', name: 'reuse'}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'multus'}, subjects: [{kind: 'User', name: 'alice'}]});
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'fixed');
		assert.deepEqual(run.state.plan?.dedicated?.othersBound, ['User alice (RoleBinding team-a/reuse, in namespace team-a only)']);
		assert.deepEqual(cluster.role('multus')?.rules, brokenRules);
	});

	test('refused when a binding made in advance would hand the dedicated role to someone else: nothing is written', async () => {
		const cluster = sharedThick();
		cluster.addBinding({metadata: {name: 'trap'}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: dedicated}, subjects: [{kind: 'User', name: 'mallory'}]});
		const run = await runFlow(cluster);
		assert.equal(run.outcome.exitCode, 1, run.outcome.message);
		assert.match(run.outcome.message, /ClusterRole multus is bound to others too \(ServiceAccount default:webapp \(ClusterRoleBinding multus\)\), so patching it would give them pods \[""\]: list, watch as well; and a dedicated ClusterRole kubectl-multus:kube-system:kube-multus-ds would reach User mallory \(ClusterRoleBinding trap\) too/);
		assert.equal(cluster.callsOf('createClusterRole').length + cluster.callsOf('patchClusterRole').length, 0);
		assert.equal(cluster.authorize({user: 'mallory', groups: []}, listPods).allowed, false);
	});

	test('a caller who may not list RoleBindings cannot tell who else the role reaches: exit 4, the permission named, nothing written', async () => {
		const cluster = brokenThick();
		cluster.fault('listRoleBindings', {error: new MultusError('Forbidden', 'cannot list RoleBindings in all namespaces: forbidden', {status: 403})});
		const run = await runFlow(cluster);
		assert.equal(run.outcome.exitCode, 4, run.outcome.message);
		assert.match(run.outcome.message, /you lack permission to apply the fix: list RoleBindings in all namespaces \(to see who else a patched role would reach\)/);
		assert.equal(cluster.callsOf('patchClusterRole').length, 0, 'not even a dry run');
	});

	test('a caller who may not list RoleBindings gets no fix as a file: --check says where the rules go is not judged, --emit prints nothing and exits 4', async () => {
		const cluster = brokenThick();
		// Applied, a patch of multus would give alice list/watch on pods in team-a: the caller cannot see that.
		cluster.addRoleBinding({metadata: {name: 'reuse', namespace: 'team-a'}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'multus'}, subjects: [{kind: 'User', name: 'alice'}]});
		cluster.fault('listRoleBindings', {error: new MultusError('Forbidden', 'cannot list RoleBindings in all namespaces: forbidden', {status: 403})}, {times: Number.POSITIVE_INFINITY});
		const check = await runFlow(cluster, {check: true});
		assert.equal(check.outcome.exitCode, 1, check.outcome.message);
		assert.equal(check.state.plan?.reachUnseen, true);
		assert.match(check.outcome.message, /Fix: pods \[""\]: list, watch for the Multus identity; where the rules may go is not judged: you may not list RoleBindings, so who else ClusterRole multus reaches through them is unknown/);
		assert.doesNotMatch(check.outcome.message, /on ClusterRole multus; run without --check/);
		for (const format of ['manifest', 'patch'] as const) {
			const emitted = emitResult(format, check.outcome, check.state);
			assert.equal(emitted.file, undefined, format);
			assert.equal(emitted.exitCode, 4);
			assert.match(emitted.note, /^No file: where the rules may go is not judged.*\n {2}fix: ask an admin to grant rolebindings\.rbac\.authorization\.k8s\.io: list, at cluster scope/);
		}
		assert.equal(cluster.callsOf('patchClusterRole').length + cluster.callsOf('createClusterRole').length, 0);
		// With the permission the same cluster gets a role of its own, and its file.
		const seen = brokenThick();
		seen.addRoleBinding({metadata: {name: 'reuse', namespace: 'team-a'}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'multus'}, subjects: [{kind: 'User', name: 'alice'}]});
		const judged = await runFlow(seen, {check: true});
		assert.equal(judged.state.plan?.reachUnseen, false);
		assert.ok(judged.state.plan?.dedicated);
		assert.match(emitResult('manifest', judged.outcome, judged.state).file ?? '', /kind: ClusterRoleBinding/);
	});

	test('a second run finds Multus healthy through the dedicated role and writes nothing', async () => {
		const cluster = sharedThick();
		await runFlow(cluster);
		const again = await runFlow(cluster);
		assert.equal(again.outcome.verdict, 'healthy', again.outcome.message);
		assert.equal(cluster.callsOf('createClusterRole').filter(args => args[1] === false).length, 1);
	});

	test('undo deletes the dedicated role and binding it created, and the shared role stays as it was', async () => {
		const cluster = sharedThick();
		await runFlow(cluster);
		const env = undoEnv(cluster);
		const code = await runUndo(doctorOptions({yes: true, interactive: false}), env);
		assert.equal(code, 0, env.out);
		assert.match(env.out, /undo deletes ClusterRole kubectl-multus:kube-system:kube-multus-ds and ClusterRoleBinding kubectl-multus:kube-system:kube-multus-ds/);
		assert.equal(cluster.role(dedicated), undefined);
		assert.equal(cluster.bindings.some(b => b.metadata?.name === dedicated), false);
		assert.deepEqual(cluster.role('multus')?.rules, brokenRules);
		assert.equal(cluster.authorize(multus, listPods).allowed, false);
	});

	test('undo refuses a dedicated binding someone added a subject to, and deletes nothing', async () => {
		const cluster = sharedThick();
		await runFlow(cluster);
		cluster.bindings.find(b => b.metadata?.name === dedicated)!.subjects!.push({kind: 'User', name: 'mallory'});
		await assert.rejects(runUndo(doctorOptions({yes: true, interactive: false}), undoEnv(cluster)), /ClusterRoleBinding kubectl-multus:kube-system:kube-multus-ds is no longer exactly the one kubectl multus created/);
		assert.ok(cluster.role(dedicated));
		assert.equal(cluster.callsOf('deleteClusterRole').length + cluster.callsOf('deleteClusterRoleBinding').length, 0);
	});

	test('undo refuses a forged "dedicated" record on a role that is not ours (to have it deleted)', async () => {
		const cluster = brokenThick();
		const forged = {added: brokenRules, at: '2026-01-01T00:00:00Z', by: 'x', daemonSet: 'kube-system/kube-multus-ds', rulesAfter: brokenRules, dedicated: {binding: 'multus', subjects: [{kind: 'ServiceAccount', name: 'multus', namespace: 'kube-system'}]}};
		cluster.writeRole('multus', role => {
			role.metadata = {...role.metadata, annotations: {[changeAnnotation]: JSON.stringify(forged)}};
		});
		await assert.rejects(runUndo(doctorOptions({yes: true, interactive: false}), undoEnv(cluster)), /ClusterRole multus: its record says kubectl multus created it, but it does not carry the label/);
		assert.ok(cluster.role('multus'));
		assert.equal(cluster.callsOf('deleteClusterRole').length, 0);
	});
});

describe('the dedicated fix half applied: the ClusterRole created, its ClusterRoleBinding not', () => {
	const refused = (kind: 'Forbidden' | 'Invalid') => new MultusError(kind, 'admission webhook "policy.example" denied the request');
	const writes = (cluster: FakeCluster, method: 'createClusterRole' | 'createClusterRoleBinding') => cluster.callsOf(method).filter(args => args[1] === false).length;
	const bindingExists = (cluster: FakeCluster) => cluster.bindings.some(b => b.metadata?.name === dedicated);

	for (const [kind, exitCode] of [['Forbidden', 4], ['Invalid', 1]] as const) {
		test(`the binding's create is refused (${kind}): exit ${exitCode}, and the outcome names the role that was created, how to finish and how to remove it; nothing deleted`, async () => {
			const cluster = sharedThick();
			cluster.fault('createClusterRoleBinding', {error: refused(kind)}, {matches: args => args[1] === false});
			const run = await runFlow(cluster);
			assert.deepEqual([run.outcome.verdict, run.outcome.exitCode], ['failed', exitCode], run.outcome.message);
			assert.ok(cluster.role(dedicated), 'the role is in the cluster');
			assert.equal(bindingExists(cluster), false);
			assert.doesNotMatch(run.outcome.message, /Nothing in the cluster was changed/);
			assert.equal(
				run.outcome.message,
				`admission webhook "policy.example" denied the request. ClusterRole ${dedicated} was created (pods [""]: list, watch), but its ClusterRoleBinding ${dedicated} was not, so the role grants nothing yet; nothing else in the cluster was changed. To finish, run kubectl multus doctor again once the binding can be created (it keeps the role and creates the binding); to remove the role: kubectl delete clusterrole ${dedicated} (kubectl multus undo deletes a dedicated role only with its binding).`,
			);
			assert.equal(cluster.callsOf('deleteClusterRole').length + cluster.callsOf('deleteClusterRoleBinding').length, 0, 'nothing the user did not consent to is deleted');
			assert.deepEqual(cluster.role('multus')?.rules, brokenRules, 'the shared role is not touched');
			assert.equal(cluster.callsOf('restartDaemonSet').length, 0);
			const summary = summaryLines(run.state).map(line => renderLine(line, false)).join('\n');
			assert.match(summary, new RegExp(`Changed:\n  \\+ ClusterRole ${dedicated} \\(new\\): pods \\[""\\]: list, watch\n  ✖ ClusterRoleBinding ${dedicated}: not created`));
			const applied = doctorReport(run.state).applied;
			assert.deepEqual([applied.clusterRole?.name, applied.clusterRole?.created, applied.clusterRoleBinding], [dedicated, true, null]);
		});
	}

	test('as the message says: the doctor run again keeps the role, creates the binding alone, and is fixed; undo then deletes both', async () => {
		const cluster = sharedThick();
		cluster.fault('createClusterRoleBinding', {error: refused('Forbidden')}, {matches: args => args[1] === false});
		await runFlow(cluster);
		const again = await runFlow(cluster);
		assert.equal(again.outcome.verdict, 'fixed', again.outcome.message);
		assert.deepEqual([writes(cluster, 'createClusterRole'), writes(cluster, 'createClusterRoleBinding')], [2, 2], 'the second create of the role is refused as existing, and the role kept');
		assert.equal(cluster.clusterRoles.filter(role => role.metadata?.name === dedicated).length, 1);
		assert.equal(cluster.authorize(multus, listPods).allowed, true);
		assert.equal(cluster.authorize(webapp, listPods).allowed, false);
		const env = undoEnv(cluster);
		assert.equal(await runUndo(doctorOptions({yes: true, interactive: false}), env), 0, env.out);
		assert.equal(cluster.role(dedicated), undefined);
		assert.equal(bindingExists(cluster), false);
	});

	test('run again, every word of the plan says what will really happen: the role is there from the earlier run and kept, only the binding is created', async () => {
		const cluster = sharedThick();
		cluster.fault('createClusterRoleBinding', {error: refused('Forbidden')}, {matches: args => args[1] === false});
		await runFlow(cluster);
		const kept = `ClusterRole ${dedicated} exists from an earlier run, exactly as the fix would create it`;
		const text = (lines: Parameters<typeof renderLine>[0][]) => lines.map(line => renderLine(line, false)).join('\n');

		const declined = await runFlow(cluster, {}, {answer: false});
		const plan = declined.state.plan!;
		assert.deepEqual(plan.dedicated?.existing, {role: true, binding: false});
		const {question, effects} = confirmLines(plan, declined.state.found, true);
		assert.equal(renderLine(question, false), `${kept}: create only its ClusterRoleBinding to ServiceAccount kube-system:multus? [y/N]`);
		assert.equal(renderLine(effects[0]!, false), `1. keep ClusterRole ${dedicated} (there from an earlier run: pods [""]: list, watch) and create its ClusterRoleBinding to ServiceAccount kube-system:multus alone`);
		const planned = text(planLines(plan, declined.state.diagnosis));
		assert.match(planned, /Change \(the ClusterRoleBinding for the Multus identity alone; its ClusterRole is there from an earlier run, and nothing existing is touched\):/);
		assert.ok(planned.includes(`  ✔ ClusterRole ${dedicated} (exists from an earlier run, exactly as the fix would create it; kept): pods [""]: list, watch`), planned);
		assert.ok(planned.includes(`  + ClusterRoleBinding ${dedicated}: ClusterRole ${dedicated} to ServiceAccount kube-system:multus`), planned);
		assert.ok(planned.includes(`Both, as with kubectl create -f - (${kept}: only the ClusterRoleBinding is created):`), planned);
		assert.doesNotMatch(planned, /a new ClusterRole|\+ ClusterRole kubectl-multus/);
		// What exists is neither asked for nor tried again: no create of the role, its permission or its dry run.
		assert.doesNotMatch(planned, /create a ClusterRole\b/);
		assert.equal(doctorReport(declined.state).plan?.dedicated?.existing.role, true);

		const check = await runFlow(cluster, {check: true});
		assert.equal(check.outcome.message, `Problem found (--check: nothing changed). Fix: pods [""]: list, watch in ClusterRole ${dedicated} bound to the Multus identity alone (ClusterRole multus is bound to others too; ${kept}, and only the ClusterRoleBinding is created); run without --check to apply.`);
		const emit = emitResult('manifest', check.outcome, check.state);
		assert.match(emit.note, new RegExp(`^ClusterRole ${dedicated} \\(there from an earlier run, without its ClusterRoleBinding to the Multus identity alone\\): adds pods \\[""\\]: list, watch\\. Nothing was changed; apply with kubectl apply -f FILE \\(${kept}: kubectl create -f would refuse it as existing\\)`));

		assert.match(emitResult('patch', check.outcome, check.state).note, new RegExp(`the fix is the ClusterRoleBinding of ClusterRole ${dedicated} \\(${kept}\\) for the Multus identity alone, not a patch`));
		const roleDryRuns = cluster.callsOf('createClusterRole').filter(args => args[1] === true).length;
		const dryRun = await runFlow(cluster, {dryRun: 'server'});
		assert.equal(dryRun.state.plan?.serverDryRun, 'passed', dryRun.outcome.message);
		assert.equal(cluster.callsOf('createClusterRole').filter(args => args[1] === true).length, roleDryRuns, 'no dry run of a create that is not made');
		assert.ok(text(planLines(dryRun.state.plan, dryRun.state.diagnosis)).includes(`(${kept}: only the ClusterRoleBinding is created)`));

		const again = await runFlow(cluster);
		assert.equal(again.outcome.verdict, 'fixed', again.outcome.message);
		assert.equal(renderLine(patchedLine(again.state.patch!), false), `✔ created ClusterRoleBinding ${dedicated} (ClusterRole ${dedicated} was there from an earlier run, kept)`);
		assert.match(text(summaryLines(again.state)), new RegExp(`\\+ ClusterRole ${dedicated} \\(there from an earlier run\\): pods`));
		assert.equal(doctorReport(again.state).applied.clusterRole?.created, false);
		assert.equal(doctorReport(again.state).applied.clusterRoleBinding?.created, true);
	});

	test('run again after someone deleted the dedicated role but not its binding: the binding is kept, only the role is created, and every word says so', async () => {
		const cluster = sharedThick();
		await runFlow(cluster);
		cluster.clusterRoles = cluster.clusterRoles.filter(role => role.metadata?.name !== dedicated);
		const kept = `ClusterRoleBinding ${dedicated} exists from an earlier run, exactly as the fix would create it`;
		const declined = await runFlow(cluster, {}, {answer: false});
		const plan = declined.state.plan!;
		assert.deepEqual(plan.dedicated?.existing, {role: false, binding: true});
		assert.equal(renderLine(confirmLines(plan, declined.state.found, true).question, false), `${kept}: create only its ClusterRole? [y/N]`);
		const planned = planLines(plan, declined.state.diagnosis).map(line => renderLine(line, false)).join('\n');
		assert.ok(planned.includes(`  ✔ ClusterRoleBinding ${dedicated} (exists from an earlier run, exactly as the fix would create it; kept): ClusterRole ${dedicated} to ServiceAccount kube-system:multus`), planned);
		assert.ok(planned.includes(`  + ClusterRole ${dedicated}: pods [""]: list, watch`), planned);
		assert.doesNotMatch(planned, /you can create a ClusterRoleBinding/);
		const bindingDryRuns = cluster.callsOf('createClusterRoleBinding').filter(args => args[1] === true).length;
		const again = await runFlow(cluster);
		assert.equal(again.outcome.verdict, 'fixed', again.outcome.message);
		assert.equal(cluster.callsOf('createClusterRoleBinding').filter(args => args[1] === true).length, bindingDryRuns, 'no dry run of the binding that is there');
		assert.equal(renderLine(patchedLine(again.state.patch!), false), `✔ created ClusterRole ${dedicated} (ClusterRoleBinding ${dedicated} was there from an earlier run, kept)`);
		assert.deepEqual([doctorReport(again.state).applied.clusterRole?.created, doctorReport(again.state).applied.clusterRoleBinding?.created], [true, false]);
		assert.equal(cluster.authorize(multus, listPods).allowed, true);
	});

	test('run again with the earlier role changed since (not exactly what the fix creates): refused before asking, nothing written', async () => {
		const cluster = sharedThick();
		cluster.fault('createClusterRoleBinding', {error: refused('Forbidden')}, {matches: args => args[1] === false});
		await runFlow(cluster);
		cluster.clusterRoles.find(role => role.metadata?.name === dedicated)!.rules!.push({apiGroups: [''], resources: ['secrets'], verbs: ['get']});
		const writesBefore = writes(cluster, 'createClusterRole') + writes(cluster, 'createClusterRoleBinding');
		const again = await runFlow(cluster);
		assert.equal(again.asked, 0, 'nothing is asked');
		assert.equal(again.outcome.verdict, 'failed');
		assert.match(again.outcome.message, new RegExp(`^ClusterRole ${dedicated} exists already and is not the one kubectl multus plans to create`));
		assert.equal(again.outcome.code, 'MULTUS-BIND-008');
		assert.equal(writes(cluster, 'createClusterRole') + writes(cluster, 'createClusterRoleBinding'), writesBefore);
		assert.equal(bindingExists(cluster), false);
	});

	test('the binding\'s create gets no answer and did not land: read back (not there), sent again, fixed', async () => {
		const cluster = sharedThick();
		cluster.fault('createClusterRoleBinding', 'no-answer', {matches: args => args[1] === false});
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
		assert.equal(writes(cluster, 'createClusterRoleBinding'), 2);
		assert.match(run.notes.join('\n'), new RegExp(`The create of ClusterRoleBinding ${dedicated} got no answer \\(.*\\): reading it back to see whether it landed\\.`));
		assert.match(run.notes.join('\n'), new RegExp(`ClusterRoleBinding ${dedicated} does not exist: the create did not land; sending it again`));
	});

	test('the binding\'s create lands but its answer is lost: read back, found exactly as planned, not sent again', async () => {
		const cluster = sharedThick();
		cluster.fault('createClusterRoleBinding', 'lose-answer', {matches: args => args[1] === false});
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
		assert.equal(writes(cluster, 'createClusterRoleBinding'), 1);
		assert.match(run.notes.join('\n'), new RegExp(`ClusterRoleBinding ${dedicated} exists, exactly as planned: the create landed; only its answer was lost\\.`));
	});

	test('the server stays silent on the binding through --timeout: the role was created, the binding is in doubt, and how to check', async () => {
		const cluster = sharedThick();
		cluster.fault('createClusterRoleBinding', 'no-answer', {matches: args => args[1] === false});
		const run = await runFlow(cluster, {timeoutMs: 30}, {onEvent: event => event.type === 'role-created' && cluster.fault('readClusterRoleBinding', 'no-answer', {times: Number.POSITIVE_INFINITY})});
		assert.deepEqual([run.outcome.verdict, run.state.failure?.kind], ['failed', 'Timeout'], run.outcome.message);
		assert.match(run.outcome.message, new RegExp(`ClusterRole ${dedicated} was created \\(pods \\[""\\]: list, watch\\); its ClusterRoleBinding ${dedicated} may or may not have been created \\(the request got no answer\\): kubectl get clusterrolebinding ${dedicated} shows it\\. Nothing else in the cluster was changed\\.`));
		assert.doesNotMatch(run.outcome.message, /patched/);
		assert.equal(run.outcome.code, 'MULTUS-FIX-002');
	});

	test('the server stays silent on the role itself: the role is in doubt, the binding was not created', async () => {
		const cluster = sharedThick();
		cluster.fault('createClusterRole', 'no-answer', {matches: args => args[1] === false});
		const run = await runFlow(cluster, {timeoutMs: 30}, {onEvent: event => event.type === 'step-started' && event.step === 'patch' && cluster.fault('readClusterRole', 'no-answer', {times: Number.POSITIVE_INFINITY})});
		assert.deepEqual([run.outcome.verdict, run.state.failure?.kind], ['failed', 'Timeout'], run.outcome.message);
		assert.match(run.outcome.message, new RegExp(`ClusterRole ${dedicated} may or may not have been created \\(the request got no answer\\): kubectl get clusterrole ${dedicated} shows it\\. Its ClusterRoleBinding ${dedicated} was not created, and nothing else in the cluster was changed\\.`));
		assert.equal(writes(cluster, 'createClusterRoleBinding'), 0);
	});
});
