// The RBAC algebra against the real authorizer: generated ClusterRoles are created in the local cluster, and
// rulesCover must answer every request exactly as the apiserver's SubjectAccessReview does; the doctor's plan,
// applied with kubectl patch --type=json, must make every needed request allowed, keep every grant, and leave
// nothing to plan on a second look.
import assert from 'node:assert/strict';
import {after, before, describe, test} from 'node:test';
import type {V1ClusterRole, V1PolicyRule} from '@kubernetes/client-node';
import fc from 'fast-check';
import {breakdownRule, describeRule, planRolePatch, rulesCover} from '../../source/multus/rbac.js';
import {blockingRules} from '../../source/multus/requirements.js';
import {kubectl, kubectlJson, waitFor} from '../helpers/cluster.js';
import {clusterRoleArb, concreteGroups, concreteResources, concreteVerbs, neededRulesArb, requestAtomArb, resourceNamePool} from '../helpers/rbac-arbitraries.js';

const seed = 20_261_124;
const roleCount = 30;
const randomAtomsPerRole = 5;
const labelKey = 'kubectl-multus.dev/e2e';
const labelValue = 'rbac-sar';
const selector = `${labelKey}=${labelValue}`;

interface Case {
	name: string;
	user: string;
	rules: V1PolicyRule[] | undefined;
	atoms: V1PolicyRule[];
	needed: V1PolicyRule[];
}

/** A deterministic stream of small numbers from the same seed, for picking concrete values. */
function picker(values: number[]): (length: number) => number {
	let index = 0;
	return length => (values[index++ % values.length] ?? 0) % length;
}

/**
 * One concrete request that `rule` (possibly with wildcards) speaks about: wildcards replaced by pool values.
 * `exact` keeps the rule's resource names; otherwise the name is sometimes dropped or swapped, as a caller might.
 */
function concreteRequest(rule: V1PolicyRule, pick: (length: number) => number, exact = false): V1PolicyRule {
	const from = <T>(values: readonly T[]): T => values[pick(values.length)]!;
	const verb = (verbs: readonly string[]) => {
		const chosen = from(verbs.length > 0 ? verbs : ['get']);
		return chosen === '*' ? from(concreteVerbs) : chosen;
	};
	if (rule.nonResourceURLs?.length) {
		const url = from(rule.nonResourceURLs);
		return {nonResourceURLs: [url.endsWith('*') ? `${url.slice(0, -1)}${from(['x', 'ready', 'v1/pods'])}`.replace(/^([^/])/, '/$1') : url], verbs: [verb(rule.verbs)]};
	}
	const group = from(rule.apiGroups ?? ['']);
	let resource = from(rule.resources ?? ['pods']);
	if (resource === '*') resource = from(concreteResources);
	if (resource.startsWith('*/')) resource = `${from(['pods', 'deployments', 'events'])}/${resource.slice(2)}`;
	const names = rule.resourceNames ?? [];
	// Sometimes no name although the rule names some: the authorizer must deny that, and so must rulesCover.
	const name = exact ? names[0] : names.length > 0 && pick(4) > 0 ? from(names) : pick(3) === 0 ? from(resourceNamePool) : undefined;
	return {
		apiGroups: [group === '*' ? from(concreteGroups) : group],
		resources: [resource],
		...(name === undefined ? {} : {resourceNames: [name]}),
		verbs: [verb(rule.verbs)],
	};
}

function reviewOf(user: string, atom: V1PolicyRule) {
	if (atom.nonResourceURLs?.length) {
		return {apiVersion: 'authorization.k8s.io/v1', kind: 'SubjectAccessReview', spec: {user, nonResourceAttributes: {path: atom.nonResourceURLs[0], verb: atom.verbs[0]}}};
	}
	const [resource, subresource] = atom.resources![0]!.split('/');
	return {
		apiVersion: 'authorization.k8s.io/v1',
		kind: 'SubjectAccessReview',
		spec: {
			user,
			resourceAttributes: {
				group: atom.apiGroups![0],
				resource,
				...(subresource ? {subresource} : {}),
				verb: atom.verbs[0],
				...(atom.resourceNames?.[0] ? {name: atom.resourceNames[0]} : {}),
			},
		},
	};
}

/** The apiserver's answers, in order: one `kubectl create` for the whole batch of reviews. */
function subjectAccessReviews(questions: Array<{user: string; atom: V1PolicyRule}>): boolean[] {
	// kubectl prints one object per item, not a List: one line per answer.
	const out = kubectl(['create', '-o', 'jsonpath={.status.allowed}{"\\n"}', '-f', '-'], JSON.stringify({apiVersion: 'v1', kind: 'List', items: questions.map(q => reviewOf(q.user, q.atom))}));
	const answers = out.split('\n').filter(Boolean);
	assert.equal(answers.length, questions.length);
	return answers.map(answer => answer === 'true');
}

function clusterRoleObject(name: string, rules: V1PolicyRule[] | undefined): V1ClusterRole {
	return {apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name, labels: {[labelKey]: labelValue}}, ...(rules ? {rules} : {})};
}

function bindingObject(name: string, user: string) {
	return {
		apiVersion: 'rbac.authorization.k8s.io/v1',
		kind: 'ClusterRoleBinding',
		metadata: {name, labels: {[labelKey]: labelValue}},
		roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name},
		subjects: [{apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user}],
	};
}

function cleanUp(): void {
	kubectl(['delete', 'clusterrolebinding,clusterrole', '-l', selector, '--ignore-not-found', '--wait=false']);
}

function liveRoles(): Map<string, V1ClusterRole> {
	const items: V1ClusterRole[] = kubectlJson(['get', 'clusterroles', '-l', selector]).items;
	return new Map(items.map(role => [role.metadata!.name!, role]));
}

/** The authorizer reads RBAC from an informer: wait until `user` may do `atom`, which proves the writes before it arrived. */
async function waitUntilAllowed(user: string, atom: V1PolicyRule): Promise<void> {
	await waitFor(`${user} allowed ${describeRule(atom)}`, () => subjectAccessReviews([{user, atom}])[0], 20_000);
}

describe('RBAC algebra against the apiserver (SubjectAccessReview)', () => {
	const roles = fc.sample(clusterRoleArb({valid: true}), {seed, numRuns: roleCount});
	const randomAtoms = fc.sample(requestAtomArb(), {seed: seed + 1, numRuns: roleCount * randomAtomsPerRole});
	const picks = fc.sample(fc.nat({max: 1000}), {seed: seed + 2, numRuns: 500});
	const needs = fc.sample(neededRulesArb(), {seed: seed + 3, numRuns: roleCount});
	const pick = picker(picks);
	const cases: Case[] = roles.map((role, i) => {
		const rules = role.rules;
		// Random requests are mostly denied; requests drawn from the role's own rules are mostly allowed.
		const own = (rules ?? []).slice(0, 3).map(rule => concreteRequest(rule, pick));
		return {
			name: `prop-role-${i}`,
			user: `prop-user-${i}`,
			rules,
			atoms: [...randomAtoms.slice(i * randomAtomsPerRole, (i + 1) * randomAtomsPerRole), ...own],
			// Mostly the doctor's own need; every third role a generated one, wildcards and URLs included.
			needed: i % 3 === 2 ? needs[i]! : blockingRules('thick'),
		};
	});
	const sentinel = {name: 'prop-role-sentinel', user: 'prop-user-sentinel', rule: {apiGroups: ['e2e.kubectl-multus.dev'], resources: ['sentinels'], verbs: ['get']}};
	const allowedBefore = new Map<string, boolean[]>();

	before(async () => {
		cleanUp();
		// Roles first, then bindings, the sentinel last of each: once the sentinel binding works, the authorizer's
		// informers have delivered everything created before it.
		const items = [
			...cases.map(c => clusterRoleObject(c.name, c.rules)),
			clusterRoleObject(sentinel.name, [sentinel.rule]),
			...cases.map(c => bindingObject(c.name, c.user)),
			bindingObject(sentinel.name, sentinel.user),
		];
		kubectl(['create', '-f', '-'], JSON.stringify({apiVersion: 'v1', kind: 'List', items}));
		await waitUntilAllowed(sentinel.user, sentinel.rule);
	});
	after(() => cleanUp());

	test(`rulesCover agrees with the authorizer on ${roleCount} generated roles (seed ${seed})`, t => {
		const questions = cases.flatMap(c => c.atoms.map(atom => ({c, user: c.user, atom})));
		const answers = subjectAccessReviews(questions);
		const mismatches: string[] = [];
		questions.forEach((q, i) => {
			const expected = rulesCover(q.c.rules ?? [], q.atom);
			if (answers[i] !== expected) {
				mismatches.push(`${q.c.name}: ${describeRule(q.atom)}: apiserver ${answers[i] ? 'allows' : 'denies'}, rulesCover says ${expected}\n  rules: ${JSON.stringify(q.c.rules ?? null)}`);
			}
		});
		for (const c of cases) allowedBefore.set(c.name, c.atoms.map(atom => answers[questions.findIndex(q => q.c === c && q.atom === atom)]!));
		assert.deepEqual(mismatches, []);
		// The sample means something only if both answers occur often.
		const allowed = answers.filter(Boolean).length;
		t.diagnostic(`${answers.length} reviews: ${allowed} allowed, ${answers.length - allowed} denied`);
		assert.ok(allowed >= 20 && answers.length - allowed >= 20, `${allowed} allowed of ${answers.length}: too one-sided to prove anything`);
	});

	test('the doctor\'s plan, applied with kubectl patch --type=json, grants every needed request, keeps every grant, and a second plan is empty', async () => {
		const live = liveRoles();
		const plans = cases.map(c => {
			const role = live.get(c.name)!;
			return {c, plan: planRolePatch(role.rules, c.needed, role.metadata!.resourceVersion)};
		});
		const patched = plans.filter(p => !p.plan.empty);
		assert.ok(patched.length >= roleCount / 2, `only ${patched.length} roles needed a change`);
		for (const {c, plan} of patched) kubectl(['patch', 'clusterrole', c.name, '--type=json', '-p', JSON.stringify(plan.jsonPatch)]);
		// The last patch visible to the authorizer means all of them are (one ordered watch of ClusterRoles).
		const last = patched.at(-1)!;
		for (const atom of last.c.needed.flatMap(rule => breakdownRule(rule)).map(atom => concreteRequest(atom, pick, true))) await waitUntilAllowed(last.c.user, atom);

		const needed = cases.flatMap(c => c.needed.flatMap(rule => breakdownRule(rule)).map(atom => ({c, user: c.user, atom: concreteRequest(atom, pick, true)})));
		const kept = cases.flatMap(c => c.atoms.filter((_, i) => allowedBefore.get(c.name)?.[i]).map(atom => ({c, user: c.user, atom})));
		const answers = subjectAccessReviews([...needed, ...kept]);
		const denied = [...needed, ...kept].filter((_, i) => !answers[i]).map(q => `${q.c.name}: ${describeRule(q.atom)} denied\n  rules now: ${JSON.stringify(live.get(q.c.name)?.rules ?? null)}`);
		assert.deepEqual(denied, []);
		assert.ok(kept.length > 0);

		const reread = liveRoles();
		for (const {c, plan} of plans) {
			const role = reread.get(c.name)!;
			assert.deepEqual(role.rules ?? [], plan.after, `${c.name}: the apiserver stored what the plan computed`);
			assert.ok(planRolePatch(role.rules, c.needed, role.metadata!.resourceVersion).empty, `${c.name}: a second plan is empty`);
		}
	});
});
