// Every branch of the flow that is a finding says so by code: in the JSON/YAML report (`code`, `codes`,
// `findings.checks[].code`, `error.code`) and in the plain text, on the line that says it.
import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import type {V1ClusterRole} from '@kubernetes/client-node';
import {doctorReport} from '../../../source/doctor/report.js';
import {plainPrinter} from '../../../source/doctor/plain.js';
import {allFindings} from '../../../source/multus/findings.js';
import {brokenRules, brokenThick, healthyThick, forbiddenLine} from '../../helpers/fake-multus.js';
import {runFlow, type FlowRun} from '../../helpers/flow.js';
import type {FakeCluster} from '../../helpers/fake-cluster.js';

const report = (run: FlowRun) => JSON.parse(JSON.stringify(doctorReport(run.state))) as ReturnType<typeof doctorReport>;
const codesOf = (run: FlowRun) => report(run).codes.map(entry => entry.code);

/** The plain output of the run's events, as a user without a terminal reads it. */
function plainText(run: FlowRun): string {
	let text = '';
	const print = plainPrinter({color: false, yes: true}, chunk => (text += chunk));
	for (const event of run.events) print(event);
	return text;
}

const managed = (extra: Record<string, string> = {}): V1ClusterRole => ({
	metadata: {name: 'multus', labels: {'app.kubernetes.io/managed-by': 'Helm'}, annotations: {'meta.helm.sh/release-name': 'multus', ...extra}},
	rules: structuredClone(brokenRules),
});

describe('the codes a run raises', () => {
	test('broken, --check: each failed check by its code, the gap by its own, in the report and on its line', async () => {
		const run = await runFlow(brokenThick(), {check: true});
		const json = report(run);
		assert.deepEqual(codesOf(run), ['MULTUS-LOG-001', 'MULTUS-RBAC-001', 'MULTUS-RBAC-002', 'MULTUS-RULE-010', 'MULTUS-RULE-025']);
		assert.equal(json.code, null, 'the --check outcome is the checks: no code of its own');
		const checks = json.findings?.checks ?? [];
		assert.deepEqual(checks.filter(check => check.status === 'fail').map(check => `${check.id} ${check.code}`), [
			'pods-forbidden-logs MULTUS-LOG-001',
			'pods-list-access MULTUS-RBAC-001',
			'pods-watch-access MULTUS-RBAC-002',
			'rbac-rules MULTUS-RULE-001',
			'rbac-advisory-rules MULTUS-RULE-002',
		]);
		const rules = checks.find(check => check.id === 'rbac-rules');
		assert.deepEqual(rules?.kind === 'rules' ? rules.gaps : undefined, [{code: 'MULTUS-RULE-010', rule: {apiGroups: [''], resources: ['pods'], verbs: ['list', 'watch']}}]);
		const entry = json.codes.find(raised => raised.code === 'MULTUS-RBAC-001');
		assert.deepEqual(entry, {
			code: 'MULTUS-RBAC-001',
			title: 'The Multus identity may not list pods at cluster scope',
			page: 'docs/findings.md#multus-rbac-001',
			details: ['system:serviceaccount:kube-system:multus cannot list pods at cluster scope'],
		});
		const text = plainText(run);
		assert.match(text, /✖ logs: 6 forbidden list\/watch line\(s\) in 3 of 3 sampled pod\(s\) {2}\[MULTUS-LOG-001\]/);
		assert.match(text, /✖ access review: system:serviceaccount:kube-system:multus cannot list pods at cluster scope {2}\[MULTUS-RBAC-001\]/);
		assert.match(text, /✖ access review: system:serviceaccount:kube-system:multus cannot watch pods at cluster scope {2}\[MULTUS-RBAC-002\]/);
		assert.doesNotMatch(text, /✔ access review: .*MULTUS-/, 'a pass has no code');
		assert.match(text, /✖ rules: missing pods \[""\]: list, watch {2}\[MULTUS-RULE-010\]/);
		assert.match(text, /! advisory: missing resourceclaims \["resource\.k8s\.io"\]: get \(warned, not patched\) {2}\[MULTUS-RULE-025\]/);
	});

	test('healthy: no code at all, in the report or the text', async () => {
		const run = await runFlow(healthyThick());
		assert.deepEqual(codesOf(run).filter(code => code !== 'MULTUS-RULE-025'), []);
		assert.equal(report(run).code, null);
		// Only the advisory DRA gap of the newest daemon (master), which a role without resource.k8s.io has.
		assert.doesNotMatch(plainText(run).replaceAll('  [MULTUS-RULE-025]', ''), /MULTUS-/);
	});

	test('thin: its denied pods list/watch reviews are asked for the report, and are no finding (no code, nothing raised)', async () => {
		const cluster = brokenThick({forbiddenLogs: false});
		cluster.daemonSets[0]!.spec!.template.spec!.containers[0] = {name: 'kube-multus', image: 'ghcr.io/k8snetworkplumbingwg/multus-cni:v4.2.4', command: ['/thin_entrypoint']};
		const run = await runFlow(cluster);
		assert.equal(run.outcome.verdict, 'healthy', run.outcome.message);
		assert.ok(report(run).findings?.checks.some(check => check.id === 'pods-list-access' && check.status === 'fail' && !check.blocks));
		assert.deepEqual(codesOf(run).filter(code => code.startsWith('MULTUS-RBAC')), []);
		const text = plainText(run);
		assert.match(text, /✖ access review: system:serviceaccount:kube-system:multus cannot list pods at cluster scope\n/);
		assert.doesNotMatch(text, /MULTUS-RBAC/);
	});

	test('healthy now, with old forbidden lines: MULTUS-LOG-003 on the summary', async () => {
		const cluster = healthyThick({forbiddenLogs: true});
		const run = await runFlow(cluster);
		assert.ok(codesOf(run).includes('MULTUS-LOG-003'));
		assert.match(plainText(run), /Healthy RBAC: .* old forbidden line\(s\).* {2}\[MULTUS-LOG-003\]/);
	});

	const outcomes: Array<{name: string; cluster: () => FakeCluster; options?: Parameters<typeof runFlow>[1]; code: string; exitCode: number; where: 'outcome' | 'failure'}> = [
		{name: 'a Helm-managed role', cluster: () => brokenThick({role: managed()}), code: 'MULTUS-OWNER-001', exitCode: 1, where: 'outcome'},
		{name: 'a role that opted out of updates', cluster: () => brokenThick({role: managed({'rbac.authorization.kubernetes.io/autoupdate': 'false'})}), options: {force: true}, code: 'MULTUS-OWNER-002', exitCode: 1, where: 'outcome'},
		{
			name: 'the caller may not patch the role',
			cluster: () => {
				const cluster = brokenThick();
				cluster.selfDenied.push({verb: 'patch', resource: 'clusterroles'});
				return cluster;
			},
			code: 'MULTUS-CALLER-001',
			exitCode: 4,
			where: 'failure',
		},
		{
			name: 'the rollout is stuck',
			cluster: () => {
				const cluster = brokenThick();
				cluster.controller = 'stuck';
				return cluster;
			},
			// As the flow test's: 400 ms, not 50 (under load the first look can take longer than the timeout).
			options: {timeoutMs: 400},
			code: 'MULTUS-ROLLOUT-001',
			exitCode: 5,
			where: 'failure',
		},
		{
			name: 'a new daemon prints nothing',
			cluster: () => {
				const cluster = brokenThick();
				cluster.newPodLog = '';
				return cluster;
			},
			options: {timeoutMs: 1500},
			code: 'MULTUS-VERIFY-003',
			exitCode: 7,
			where: 'outcome',
		},
		{
			name: 'the new pods still log the forbidden error',
			cluster: () => {
				const cluster = brokenThick();
				cluster.newPodLog = forbiddenLine('list', new Date(Date.now() + 60_000).toISOString());
				return cluster;
			},
			code: 'MULTUS-VERIFY-002',
			exitCode: 1,
			where: 'outcome',
		},
		{
			name: 'the patch never gets an answer',
			cluster: () => {
				const cluster = brokenThick();
				cluster.fault('patchClusterRole', 'no-answer', {times: Number.POSITIVE_INFINITY, matches: args => args[2] === false});
				cluster.fault('readClusterRole', 'no-answer', {times: Number.POSITIVE_INFINITY, matches: () => cluster.callsOf('patchClusterRole').some(args => args[2] === false)});
				return cluster;
			},
			options: {timeoutMs: 30},
			code: 'MULTUS-FIX-002',
			exitCode: 3,
			where: 'failure',
		},
	];
	for (const scenario of outcomes) {
		test(`${scenario.name}: ${scenario.code} on the ${scenario.where} and its line, in the report's code and codes`, async () => {
			const run = await runFlow(scenario.cluster(), scenario.options ?? {});
			assert.equal(run.outcome.exitCode, scenario.exitCode, run.outcome.message);
			assert.equal(run.outcome.code, scenario.code, run.outcome.message);
			if (scenario.where === 'failure') assert.equal(run.state.failure?.code, scenario.code);
			const json = report(run);
			assert.equal(json.code, scenario.code);
			if (scenario.where === 'failure') assert.equal(json.error?.code, scenario.code);
			assert.ok(codesOf(run).includes(scenario.code), codesOf(run).join(', '));
			assert.match(plainText(run), new RegExp(` {2}\\[${scenario.code}\\]\\n`));
		});
	}

	test('notes that are findings carry their code: OnDelete, --no-restart, a re-plan after a conflict', async () => {
		const onDelete = await runFlow(brokenThick({strategy: 'OnDelete'}));
		assert.ok(codesOf(onDelete).includes('MULTUS-ROLLOUT-004'));
		assert.match(plainText(onDelete), /uses the OnDelete update strategy: .* {2}\[MULTUS-ROLLOUT-004\]\n/);
		const noRestart = await runFlow(brokenThick(), {restart: false});
		assert.ok(codesOf(noRestart).includes('MULTUS-ROLLOUT-007'));
		assert.match(plainText(noRestart), /--no-restart: DaemonSet kube-system\/kube-multus-ds not restarted\. .* {2}\[MULTUS-ROLLOUT-007\]\n/);
		const cluster = brokenThick();
		cluster.fault('patchClusterRole', {before: c => c.writeRole('multus', role => role.rules!.push({apiGroups: [''], resources: ['configmaps'], verbs: ['get']}))}, {matches: args => args[2] === false});
		const conflict = await runFlow(cluster);
		assert.ok(codesOf(conflict).includes('MULTUS-FIX-003'), codesOf(conflict).join(', '));
		assert.match(plainText(conflict), /re-reading it and planning again\. {2}\[MULTUS-FIX-003\]\n/);
	});

	test('what Find saw: no Multus (MULTUS-FIND-001), Multus twice (MULTUS-FIND-002)', async () => {
		const unrecognised = brokenThick();
		unrecognised.daemonSet('kube-system', 'kube-multus-ds')!.spec!.template.spec!.containers = [{name: 'netd', image: 'registry.example/netd:v1', command: ['/bin/netd']}];
		unrecognised.daemonSet('kube-system', 'kube-multus-ds')!.metadata!.labels = {};
		unrecognised.daemonSet('kube-system', 'kube-multus-ds')!.spec!.template.metadata!.labels = {};
		const none = await runFlow(unrecognised);
		assert.equal(none.state.failure?.kind, 'NotFound');
		assert.equal(none.state.failure?.code, 'MULTUS-FIND-001');
		assert.match(plainText(none), /no Multus DaemonSet found in any namespace .* {2}\[MULTUS-FIND-001\]\n/);
		const cluster = brokenThick();
		const second = structuredClone(cluster.daemonSet('kube-system', 'kube-multus-ds')!);
		second.metadata!.namespace = 'multus';
		cluster.addDaemonSet(second);
		const twice = await runFlow(cluster);
		assert.equal(twice.state.failure?.code, 'MULTUS-FIND-002');
		assert.equal(report(twice).error?.code, 'MULTUS-FIND-002');
	});

	test('every code a report carries is a registered one, with its title and page', async () => {
		const registered = new Map(allFindings.map(info => [info.code, info.title]));
		for (const run of [await runFlow(brokenThick(), {check: true}), await runFlow(brokenThick({role: managed()}))]) {
			for (const entry of report(run).codes) {
				assert.equal(entry.title, registered.get(entry.code), entry.code);
				assert.equal(entry.page, `docs/findings.md#${entry.code.toLowerCase()}`);
				assert.ok(entry.details.length > 0, entry.code);
			}
		}
	});
});
