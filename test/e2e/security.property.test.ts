// The security property of issue 12, checked by the real authorizer: for generated roles, bindings and change
// records (forged ones included, written as someone who may patch only her own role would), the real
// `kubectl multus doctor --yes` gives no subject but the Multus identity anything, and `kubectl multus undo --yes`
// gives nobody anything at all. Every observer is asked about every request, at cluster scope and in a namespace,
// with SubjectAccessReview before and after each command. (Many more cases run against the in-memory cluster:
// test/unit/doctor/security.property.test.ts.)
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import type {V1ClusterRole, V1PolicyRule} from '@kubernetes/client-node';
import fc from 'fast-check';
import {applyScenario, deleteScenario, kubectl, kubectlJson, podsListWatch, runPlugin, waitFor} from '../helpers/cluster.js';
import {caseLabel, caseObjects, observers, securityCaseArb, teamNamespace, type Observer, type SecurityCase} from '../helpers/security-arbitraries.js';

const seed = 20_261_201;
const caseCount = 8;
const selector = `${caseLabel.key}=${caseLabel.value}`;
const dedicated = 'kubectl-multus:kube-system:kube-multus-ds';
const podRequests: V1PolicyRule[] = ['list', 'watch', 'get'].map(verb => ({...podsListWatch, verbs: [verb]}));

interface Question {
	observer: Observer;
	request: V1PolicyRule;
	namespace: string | undefined;
}

function review(q: Question) {
	const {observer, request, namespace} = q;
	const spec: Record<string, unknown> = {user: observer.user, groups: observer.groups};
	if (request.nonResourceURLs?.length) {
		spec['nonResourceAttributes'] = {path: request.nonResourceURLs[0], verb: request.verbs[0]};
	} else {
		const [resource, subresource] = (request.resources?.[0] ?? '').split('/');
		spec['resourceAttributes'] = {
			group: request.apiGroups?.[0] ?? '',
			resource,
			...(subresource ? {subresource} : {}),
			verb: request.verbs[0],
			...(request.resourceNames?.[0] ? {name: request.resourceNames[0]} : {}),
			...(namespace ? {namespace} : {}),
		};
	}
	return {apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec};
}

function questionsOf(c: SecurityCase): Question[] {
	const requests = [...podRequests, ...c.requests];
	return observers.flatMap(observer =>
		requests.flatMap(request => [
			{observer, request, namespace: undefined},
			...(request.nonResourceURLs?.length ? [] : [{observer, request, namespace: teamNamespace}]),
		]),
	);
}

const keyOf = (q: Question) => `${q.observer.name} ${JSON.stringify(q.request)}${q.namespace ? ` in ${q.namespace}` : ''}`;

/** The apiserver's answers: one `kubectl create` for the whole batch of reviews, the allowed ones as keys. */
function allowed(questions: Question[]): Set<string> {
	const out = kubectl(['create', '-o', 'jsonpath={.status.allowed}{"\\n"}', '-f', '-'], JSON.stringify({apiVersion: 'v1', kind: 'List', items: questions.map(review)}));
	const answers = out.split('\n').filter(Boolean);
	assert.equal(answers.length, questions.length);
	return new Set(questions.filter((_, i) => answers[i] === 'true').map(keyOf));
}

/** What `after` allows that `before` did not, for the observers `who` picks. */
function gained(before: Set<string>, after: Set<string>, who: (q: Question) => boolean, questions: Question[]): string[] {
	return questions.filter(q => who(q) && after.has(keyOf(q)) && !before.has(keyOf(q))).map(keyOf);
}

let syncs = 0;
/**
 * Waits until the authorizer has seen every ClusterRole, ClusterRoleBinding and RoleBinding written before: a new
 * role and its bindings (in that order) take effect only once the informers delivered them, each in order.
 */
async function synced(): Promise<void> {
	const name = `prop-sync-${syncs++}`;
	const rule = {apiGroups: ['e2e.kubectl-multus.dev'], resources: ['sentinels'], verbs: ['get']};
	kubectl(['create', '-f', '-'], JSON.stringify({
		apiVersion: 'v1',
		kind: 'List',
		items: [
			{apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name, labels: {[caseLabel.key]: caseLabel.value}}, rules: [rule]},
			{apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: {name, labels: {[caseLabel.key]: caseLabel.value}}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name}, subjects: [{apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name}]},
			{apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: {name, namespace: teamNamespace, labels: {[caseLabel.key]: caseLabel.value}}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name}, subjects: [{apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: `${name}-ns`}]},
		],
	}));
	const sentinels: Question[] = [
		{observer: {name, user: name, groups: [], multus: false}, request: rule, namespace: undefined},
		{observer: {name: `${name}-ns`, user: `${name}-ns`, groups: [], multus: false}, request: rule, namespace: teamNamespace},
	];
	await waitFor(`the authorizer sees ${name}`, () => allowed(sentinels).size === 2, 20_000);
}

/** Aggregated roles this run created: the aggregation controller may write one back right after its deletion. */
const aggregates = new Set<string>();

function cleanUp(): void {
	kubectl(['delete', 'clusterrolebinding,clusterrole', '-l', selector, '--ignore-not-found', '--wait=false']);
	if (aggregates.size > 0) kubectl(['delete', 'clusterrole', ...aggregates, '--ignore-not-found']);
	kubectl(['delete', 'rolebinding', '-n', teamNamespace, '-l', selector, '--ignore-not-found', '--wait=false']);
	kubectl(['delete', 'clusterrolebinding,clusterrole', dedicated, '--ignore-not-found', '--wait=false']);
}

describe('security property: doctor gives nobody but Multus anything, undo gives nobody anything (SubjectAccessReview)', () => {
	const cases = fc.sample(securityCaseArb(), {seed, numRuns: caseCount});
	let multusRole: V1ClusterRole;

	before(() => {
		applyScenario('broken-thick');
		if (!kubectl(['get', 'namespaces', '-o', 'name']).includes(`namespace/${teamNamespace}`)) kubectl(['create', 'namespace', teamNamespace]);
		const role = kubectlJson(['get', 'clusterrole', 'multus']);
		multusRole = {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: 'multus'}, rules: role.rules};
	});
	after(async () => {
		cleanUp();
		// Once more, after the aggregation controller had time to write a deleted aggregate back.
		await new Promise(resolve => setTimeout(resolve, 2000));
		cleanUp();
		kubectl(['delete', 'namespace', teamNamespace, '--ignore-not-found', '--wait=false']);
		deleteScenario('broken-thick');
	});

	test(`${caseCount} generated cases (seed ${seed}): before and after undo of forged records, doctor --yes, undo --yes`, async t => {
		const stats = {fixed: 0, dedicated: 0, undone: 0, records: 0, reviews: 0, allowedBefore: 0};
		// Names unique to this run: nothing left by another run (or written back by the controller) is in the way.
		const run = Date.now().toString(36);
		for (const [index, c] of cases.entries()) {
			cleanUp();
			const objects = caseObjects(c, `p${run}-${index}`, multusRole);
			for (const role of objects.clusterRoles) if (role.aggregationRule) aggregates.add(role.metadata?.name ?? '');
			const multus = objects.clusterRoles.at(-1)!;
			kubectl(['replace', '-f', '-'], JSON.stringify(multus));
			kubectl(['create', '-f', '-'], JSON.stringify({apiVersion: 'v1', kind: 'List', items: [...objects.clusterRoles.slice(0, -1), ...objects.clusterRoleBindings, ...objects.roleBindings]}));
			await synced();
			const questions = questionsOf(c);
			const describeCase = `case ${index}: ${JSON.stringify(c)}`;
			const initial = allowed(questions);
			stats.records += c.records.length;
			stats.reviews += questions.length * 4;
			stats.allowedBefore += initial.size;

			await runPlugin(['undo', '--yes']);
			await synced();
			const afterForged = allowed(questions);
			assert.deepEqual(gained(initial, afterForged, () => true, questions), [], `undo of the records as found granted\n${describeCase}`);

			const doctor = await runPlugin(['doctor', '--yes', '-o', 'json'], {timeoutMs: 300_000});
			const report = JSON.parse(doctor.stdout || '{}');
			if (doctor.code === 0) stats.fixed++;
			if (report.plan?.dedicated) stats.dedicated++;
			await synced();
			const afterDoctor = allowed(questions);
			assert.deepEqual(gained(afterForged, afterDoctor, q => !q.observer.multus, questions), [], `doctor granted someone besides Multus (exit ${doctor.code})\n${describeCase}`);

			const undo = await runPlugin(['undo', '--yes']);
			if (undo.code === 0) stats.undone++;
			await synced();
			assert.deepEqual(gained(afterDoctor, allowed(questions), () => true, questions), [], `undo granted\n${describeCase}\n${undo.stdout}${undo.stderr}`);
		}
		t.diagnostic(JSON.stringify(stats));
		// The sample means something only if every path was taken and requests were both allowed and denied.
		assert.ok(stats.fixed >= caseCount / 2 && stats.dedicated >= 2 && stats.undone >= 2 && stats.records >= 4 && stats.allowedBefore > 20, JSON.stringify(stats));
	});
});
