import assert from 'node:assert/strict';
import {describe, test} from 'node:test';
import {accessCheck, declareChecks} from '../../../source/doctor/checks.js';
import {allFindings, findingCodePattern} from '../../../source/multus/findings.js';
import {accessCheckId, accessQuestions, judgeAccess, judgeForbiddenLines, judgeRules} from '../../../source/multus/checks.js';
import {requiredRules} from '../../../source/multus/requirements.js';
import {resolveRelease} from '../../../source/multus/versions.js';
import {found} from '../../helpers/doctor-fixtures.js';
import {brokenRules, brokenThick, forbiddenLine, podsListWatch} from '../../helpers/fake-multus.js';
import {runFlow} from '../../helpers/flow.js';

const withImage = (image: string, mode: 'thick' | 'thin' = 'thick') => ({...found, daemonSet: {...found.daemonSet, mode, image, release: resolveRelease(image)}});
const ids = (checks: Array<{id: string; blocks: boolean}>) => checks.map(check => `${check.id}${check.blocks ? ' (blocks)' : ''}`);

describe('declared checks come from the requirements', () => {
	test('thick with informers (master): each informer family in the logs, every blocking verb reviewed, the rules', () => {
		assert.deepEqual(ids(declareChecks(found)), [
			'pods-forbidden-logs',
			'nads-forbidden-logs',
			'pods-list-access (blocks)',
			'pods-watch-access (blocks)',
			'network-attachment-definitions-list-access (blocks)',
			'network-attachment-definitions-watch-access (blocks)',
			'rbac-rules (blocks)',
			'rbac-advisory-rules',
		]);
	});

	test('thick before v4.1 runs no informer: nothing blocks but the (empty) rules; pods list and watch are still asked, for the report', () => {
		assert.deepEqual(ids(declareChecks(withImage('k8snetworkplumbingwg/multus-cni:v4.0.2-thick'))), ['pods-list-access', 'pods-watch-access', 'rbac-rules (blocks)', 'rbac-advisory-rules']);
	});

	test('thin: the same', () => {
		assert.deepEqual(ids(declareChecks(withImage('k8snetworkplumbingwg/multus-cni:v4.2.4', 'thin'))), ['pods-list-access', 'pods-watch-access', 'rbac-rules (blocks)', 'rbac-advisory-rules']);
	});

	test('every blocking requirement verb has its review, whatever the requirements say', () => {
		for (const image of ['k8snetworkplumbingwg/multus-cni:v4.1.0-thick', 'k8snetworkplumbingwg/multus-cni:snapshot-thick']) {
			const subject = withImage(image);
			const declared = new Set(declareChecks(subject).filter(check => check.blocks).map(check => check.id));
			const wanted = requiredRules('thick', subject.daemonSet.release.release).filter(r => r.level === 'blocking').flatMap(r => accessQuestions(r.rule)).map(accessCheckId);
			assert.ok(wanted.length > 0);
			for (const id of wanted) assert.ok(declared.has(id), `${image}: ${id}`);
		}
	});
});

describe('every declared check names its finding', () => {
	const images = [
		...['v3.9.3', 'v4.0.2', 'v4.1.0', 'v4.1.4', 'v4.2.0', 'v4.2.2', 'v4.2.4', 'v4.3.0', 'snapshot'].map(tag => ({image: `k8snetworkplumbingwg/multus-cni:${tag}-thick`, mode: 'thick' as const})),
		...['v4.0.2', 'v4.3.0', 'snapshot'].map(tag => ({image: `k8snetworkplumbingwg/multus-cni:${tag}`, mode: 'thin' as const})),
	];
	test('for every known release and mode, each check has a registered, well-formed code', () => {
		const registered = new Set(allFindings.map(info => info.code));
		for (const {image, mode} of images) {
			for (const check of declareChecks(withImage(image, mode))) {
				assert.match(check.code, findingCodePattern, `${image} ${check.id}`);
				assert.ok(registered.has(check.code), `${image} ${check.id}: ${check.code}`);
			}
			for (const requirement of requiredRules(mode, resolveRelease(image).release)) assert.ok(registered.has(requirement.finding.code), `${image}: ${requirement.why}`);
		}
	});
	test('the codes say which check it is: one code per check, the pods reviews and the log families as documented', () => {
		const codes = Object.fromEntries(declareChecks(found).map(check => [check.id, check.code]));
		assert.deepEqual(codes, {
			'pods-forbidden-logs': 'MULTUS-LOG-001',
			'nads-forbidden-logs': 'MULTUS-LOG-002',
			'pods-list-access': 'MULTUS-RBAC-001',
			'pods-watch-access': 'MULTUS-RBAC-002',
			'network-attachment-definitions-list-access': 'MULTUS-RBAC-003',
			'network-attachment-definitions-watch-access': 'MULTUS-RBAC-004',
			'rbac-rules': 'MULTUS-RULE-001',
			'rbac-advisory-rules': 'MULTUS-RULE-002',
		});
	});
	test('a review with no finding is refused where it is declared, not shown without a code', () => {
		assert.throws(() => accessCheck({group: '', resource: 'secrets', verb: 'list'}, true, undefined), /secrets-list-access has no finding code/);
	});
	test("a blocking requirement names each of its reviews' findings, by verb", () => {
		for (const requirement of requiredRules('thick').filter(r => r.level === 'blocking')) {
			for (const question of accessQuestions(requirement.rule)) assert.match(requirement.denied?.[question.verb]?.code ?? '', findingCodePattern, `${accessCheckId(question)}`);
		}
	});
});

describe('judges (pure)', () => {
	test('access: allowed passes, denied fails', () => {
		assert.equal(judgeAccess({allowed: true}), 'pass');
		assert.equal(judgeAccess({allowed: false}), 'fail');
	});
	test('rules: what the roles do not cover is missing', () => {
		const [blocking] = requiredRules('thick').filter(r => r.level === 'blocking');
		assert.deepEqual(judgeRules(brokenRules, [blocking!]), {status: 'fail', missing: [podsListWatch], gaps: [{code: 'MULTUS-RULE-010', rule: podsListWatch}]});
		assert.deepEqual(judgeRules([...brokenRules, podsListWatch], [blocking!]), {status: 'pass', missing: [], gaps: []});
	});
	test("rules: each gap carries its own requirement's code, and only the part of its rule that is missing", () => {
		const requirements = requiredRules('thick');
		const granted = [{apiGroups: [''], resources: ['pods'], verbs: ['get', 'list']}, {apiGroups: [''], resources: ['events'], verbs: ['create']}];
		const gaps = judgeRules(granted, requirements).gaps.map(gap => `${gap.code} ${gap.rule.resources?.join(',')}: ${gap.rule.verbs?.join(',')}`);
		assert.deepEqual(gaps, [
			'MULTUS-RULE-010 pods: watch',
			'MULTUS-RULE-011 network-attachment-definitions: list,watch',
			'MULTUS-RULE-021 pods/status: update',
			'MULTUS-RULE-025 resourceclaims: get',
			'MULTUS-RULE-025 resourceslices: list',
			'MULTUS-RULE-024 events: patch',
		]);
	});
	test('forbidden lines: any fails, none passes, no log read is unknown', () => {
		assert.equal(judgeForbiddenLines(3, 2), 'fail');
		assert.equal(judgeForbiddenLines(0, 2), 'pass');
		assert.equal(judgeForbiddenLines(0, 0), 'unknown');
	});
	test('a rule asks one question per group, resource and verb; ids are stable', () => {
		const questions = accessQuestions({apiGroups: ['k8s.cni.cncf.io'], resources: ['network-attachment-definitions'], verbs: ['list', 'watch']});
		assert.deepEqual(questions.map(accessCheckId), ['network-attachment-definitions-list-access', 'network-attachment-definitions-watch-access']);
		assert.equal(accessCheckId({group: '', resource: 'pods/status', verb: 'update'}), 'pods-status-update-access');
	});
});

describe('the NAD informer\'s list/watch: requirement data and its declaration, nothing else', () => {
	const nadsGetOnly = [
		{apiGroups: ['k8s.cni.cncf.io'], resources: ['network-attachment-definitions'], verbs: ['get']},
		{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'update', 'list', 'watch']},
		{apiGroups: ['', 'events.k8s.io'], resources: ['events'], verbs: ['create', 'patch', 'update']},
	];
	const nadLine = (verb: string) => `2026-11-24T22:19:50.000000000Z E1124 22:19:50.000000       1 reflector.go:166] "Unhandled Error" err="failed to ${verb} *v1.NetworkAttachmentDefinition: network-attachment-definitions.k8s.cni.cncf.io is forbidden: User \\"system:serviceaccount:kube-system:multus\\" cannot ${verb} resource \\"network-attachment-definitions\\" in API group \\"k8s.cni.cncf.io\\" at the cluster scope"\n`;

	test('a role without NAD list/watch is broken, says which informer, and is fixed by adding exactly that', async () => {
		const cluster = brokenThick({role: {metadata: {name: 'multus'}, rules: nadsGetOnly}, forbiddenLogs: false});
		for (const pod of cluster.pods) cluster.logs.set(pod.metadata!.name!, nadLine('list') + nadLine('watch'));
		const run = await runFlow(cluster);
		const diagnosis = run.state.diagnosis!;
		assert.equal(diagnosis.verdict, 'broken');
		assert.equal(diagnosis.summary, "Broken: the thick daemon's NetworkAttachmentDefinition informer cannot list or watch network-attachment-definitions at cluster scope.");
		const byId = new Map(diagnosis.checks.map(check => [check.id, check]));
		assert.equal(byId.get('network-attachment-definitions-list-access')?.status, 'fail');
		assert.equal(byId.get('pods-list-access')?.status, 'pass');
		assert.deepEqual(byId.get('nads-forbidden-logs'), {id: 'nads-forbidden-logs', code: 'MULTUS-LOG-002', blocks: false, kind: 'logs', status: 'fail', family: 'nads-forbidden', count: 6});
		assert.equal(byId.get('pods-forbidden-logs')?.status, 'pass');
		assert.deepEqual(run.state.plan?.patch.missing, [{apiGroups: ['k8s.cni.cncf.io'], resources: ['network-attachment-definitions'], verbs: ['list', 'watch']}]);
		assert.equal(run.outcome.verdict, 'fixed', run.outcome.message);
	});

	test('rules that cover NADs but a review that denies them (another authorizer): broken all the same', async () => {
		const cluster = brokenThick({role: {metadata: {name: 'multus'}, rules: [...brokenRules, podsListWatch]}, forbiddenLogs: false});
		cluster.fault('subjectAccess', {answer: {allowed: false, reason: 'denied by a webhook'}}, {matches: args => (args[2] as {resource?: string}).resource === 'network-attachment-definitions' && (args[2] as {verb?: string}).verb === 'watch'});
		const run = await runFlow(cluster, {check: true});
		assert.equal(run.state.diagnosis?.verdict, 'broken');
		assert.equal(run.state.diagnosis?.summary, "Broken: the thick daemon's NetworkAttachmentDefinition informer cannot watch network-attachment-definitions at cluster scope.");
	});

	test('both informers denied: one sentence names both', async () => {
		const cluster = brokenThick({role: {metadata: {name: 'multus'}, rules: [{apiGroups: [''], resources: ['pods', 'pods/status'], verbs: ['get', 'update']}]}});
		cluster.logs.set(cluster.pods[0]!.metadata!.name!, forbiddenLine('list') + nadLine('list'));
		const run = await runFlow(cluster, {check: true});
		assert.equal(run.state.diagnosis?.summary, "Broken: the thick daemon's pod informer cannot list or watch pods, and its NetworkAttachmentDefinition informer cannot list or watch network-attachment-definitions at cluster scope.");
	});
});
